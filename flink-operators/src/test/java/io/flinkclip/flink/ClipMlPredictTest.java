package io.flinkclip.flink;

import io.flinkclip.flink.testing.FakeClip;
import io.flinkclip.flink.testing.FakeClipModelProvider;
import io.flinkclip.flink.testing.Images;
import io.flinkclip.model.Clip;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the README's ML_PREDICT SQL (src/test/resources/sql/ml-predict.sql), sync and async, on a MiniCluster. */
class ClipMlPredictTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static StreamTableEnvironment tableEnv() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        tEnv.createTemporaryView("images", tEnv.fromValues(
                DataTypes.ROW(DataTypes.FIELD("name", DataTypes.STRING()), DataTypes.FIELD("image", DataTypes.BYTES())),
                Row.of("red", Images.red()), Row.of("green", Images.green()), Row.of("blue", Images.blue()),
                Row.of("corrupt", Images.garbage())));
        tEnv.createTemporaryView("queries", tEnv.fromValues(
                DataTypes.ROW(DataTypes.FIELD("q", DataTypes.STRING())), Row.of("a photo of a red thing"), Row.of("blue")));
        return tEnv;
    }

    static List<String> statements(String resource) throws IOException {
        String sql;
        try (InputStream in = ClipMlPredictTest.class.getResourceAsStream(resource)) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        StringBuilder noComments = new StringBuilder();
        for (String line : sql.split("\n")) if (!line.strip().startsWith("--")) noComments.append(line).append('\n');
        List<String> out = new ArrayList<>();
        for (String s : noComments.toString().split(";")) if (!s.isBlank()) out.add(s.strip().replace("${CLIP_MODEL}", FakeClipModelProvider.PLAIN));
        return out;
    }

    static Map<String, Row> rows(StreamTableEnvironment tEnv, String query) throws Exception {
        Map<String, Row> rows = new TreeMap<>();
        try (CloseableIterator<Row> it = tEnv.sqlQuery(query).execute().collect()) {
            while (it.hasNext()) {
                Row r = it.next();
                rows.put((String) r.getField(0), r);
            }
        }
        return rows;
    }

    @Test
    void readmeMlPredictSyncAndAsync() throws Exception {
        StreamTableEnvironment tEnv = tableEnv();
        List<Map<String, Row>> results = new ArrayList<>();
        List<List<String>> imageThreads = new ArrayList<>();
        for (String stmt : statements("/sql/ml-predict.sql")) {
            if (stmt.toUpperCase().startsWith("SELECT")) {
                FakeClip.IMAGE_THREADS.clear();
                results.add(rows(tEnv, stmt));
                imageThreads.add(List.copyOf(FakeClip.IMAGE_THREADS));
            }
            else tEnv.executeSql(stmt);
        }
        assertEquals(3, results.size());
        for (Map<String, Row> classified : results.subList(0, 2)) {
            assertEquals(4, classified.size(), classified.toString());
            for (String colour : List.of("red", "green", "blue")) {
                assertEquals(colour, classified.get(colour).getField("label"));
                assertTrue((Float) classified.get(colour).getField("score") > 0.9f);
            }
            assertNull(classified.get("corrupt").getField("label"), "bad image gives NULLs, the job goes on");
            assertNull(classified.get("corrupt").getField("score"));
        }
        assertTrue(!imageThreads.get(0).isEmpty() && imageThreads.get(0).stream().noneMatch(t -> t.startsWith("clip-predict-")),
                "sync ML_PREDICT runs in the task thread: " + imageThreads.get(0));
        assertTrue(!imageThreads.get(1).isEmpty() && imageThreads.get(1).stream().allMatch(t -> t.startsWith("clip-predict-")),
                "MAP['async', 'true'] runs on the async pool: " + imageThreads.get(1));
        Clip fake = FakeClip.create(false);
        Map<String, Row> texts = results.get(2);
        for (String q : List.of("a photo of a red thing", "blue")) {
            float[] expected = Clip.normalize(fake.embedTexts(List.of(q))[0]);
            Float[] got = (Float[]) texts.get(q).getField("embedding");
            float[] unboxed = new float[got.length];
            for (int i = 0; i < got.length; i++) unboxed[i] = got[i];
            assertArrayEquals(expected, unboxed, 1e-6f);
        }
    }

    @Test
    void wrongSchemaFailsAtPlanningTime() {
        StreamTableEnvironment tEnv = tableEnv();
        tEnv.executeSql("CREATE TEMPORARY MODEL bad INPUT (image BYTES) OUTPUT (embedding ARRAY<FLOAT>) "
                + "WITH ('provider' = 'clip', 'clip.model' = 'fake:plain', 'task' = 'classify', 'labels' = 'a,b')");
        Exception e = assertThrows(Exception.class,
                () -> tEnv.sqlQuery("SELECT * FROM ML_PREDICT(TABLE images, MODEL bad, DESCRIPTOR(image))").execute().await());
        Throwable t = e;
        while (t.getCause() != null && !(t instanceof ValidationException && t.getMessage().contains("needs INPUT"))) t = t.getCause();
        assertTrue(t.getMessage().contains("OUTPUT (label STRING, score FLOAT)"), e.toString());
    }
}
