package io.flinkclip.flink;

import io.flinkclip.flink.testing.FakeClip;
import io.flinkclip.flink.testing.FakeClipModelProvider;
import io.flinkclip.flink.testing.Images;
import io.flinkclip.model.Clip;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the README's SQL (src/test/resources/sql/clip-functions.sql) on a MiniCluster with the fake model. */
class ClipSqlTest {
    static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(METRICS.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final java.util.regex.Pattern SET = java.util.regex.Pattern.compile("SET '([^']+)' = '([^']*)'");
    static final Clip FAKE = FakeClip.create(false);
    static Path pluginJar;

    /**
     * Stands in for the shaded plugin jar (which is only built after the tests): this module's main classes
     * plus the fake model and its provider registration, as a real plugin jar bundles the real provider.
     * Flink loads USING JAR classes child-first, so everything the functions need must be inside.
     */
    @BeforeAll
    static void buildJar(@TempDir Path dir) throws IOException, URISyntaxException {
        Path main = Path.of(io.flinkclip.flink.sql.ClipSql.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path test = Path.of(FakeClip.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String services = "META-INF/services/" + ClipModelProvider.class.getName();
        pluginJar = dir.resolve("flink-clip-functions.jar");
        try (OutputStream f = Files.newOutputStream(pluginJar); JarOutputStream jar = new JarOutputStream(f)) {
            add(jar, main, main, services);
            add(jar, test, test.resolve(FakeClip.class.getPackageName().replace('.', '/')), services);
            jar.putNextEntry(new JarEntry(services));
            jar.write((SupplierModelProvider.class.getName() + "\n" + FakeClipModelProvider.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
    }

    private static void add(JarOutputStream jar, Path root, Path dir, String skip) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String name = root.relativize(p).toString().replace('\\', '/');
                if (name.equals(skip)) continue;
                jar.putNextEntry(new JarEntry(name));
                Files.copy(p, jar);
                jar.closeEntry();
            }
        }
    }

    static List<String> statements() throws IOException {
        String sql;
        try (InputStream in = ClipSqlTest.class.getResourceAsStream("/sql/clip-functions.sql")) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        StringBuilder noComments = new StringBuilder();
        for (String line : sql.split("\n")) if (!line.strip().startsWith("--")) noComments.append(line).append('\n');
        List<String> out = new ArrayList<>();
        for (String s : noComments.toString().split(";")) if (!s.isBlank()) out.add(s.strip()
                .replace("${CLIP_PLUGIN_JAR}", pluginJar.toUri().toString()).replace("${CLIP_MODEL}", FakeClipModelProvider.PLAIN));
        return out;
    }

    static final List<String> JOBS = new ArrayList<>();

    static Map<String, Row> byFirstField(Table t) throws Exception {
        Map<String, Row> rows = new TreeMap<>();
        org.apache.flink.table.api.TableResult result = t.execute();
        JOBS.add(result.getJobClient().orElseThrow().getJobID().toString());
        try (CloseableIterator<Row> it = result.collect()) {
            while (it.hasNext()) {
                Row r = it.next();
                rows.put((String) r.getField(0), r);
            }
        }
        return rows;
    }

    @Test
    void readmeSqlGivesExpectedResults() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        Map<String, byte[]> images = Map.of("red", Images.red(), "green", Images.green(), "blue", Images.blue(), "corrupt", Images.garbage());
        tEnv.createTemporaryView("images", tEnv.fromValues(
                DataTypes.ROW(DataTypes.FIELD("name", DataTypes.STRING()), DataTypes.FIELD("image", DataTypes.BYTES())),
                images.entrySet().stream().map(e -> Row.of(e.getKey(), e.getValue())).toArray()));

        List<Map<String, Row>> results = new ArrayList<>();
        for (String stmt : statements()) {
            java.util.regex.Matcher set = SET.matcher(stmt);
            if (stmt.toUpperCase().startsWith("SELECT")) results.add(byFirstField(tEnv.sqlQuery(stmt)));
            else if (set.matches()) tEnv.getConfig().set(set.group(1), set.group(2)); // what the SQL client does for SET
            else tEnv.executeSql(stmt);
        }
        assertEquals(4, results.size());

        Map<String, Row> classified = results.get(0);
        for (String colour : List.of("red", "green", "blue")) {
            Row r = classified.get(colour);
            assertEquals(colour, r.getField("label"));
            assertTrue((Float) r.getField("score") > 0.9f, r.toString());
            Row[] top = (Row[]) r.getField("top");
            assertEquals(3, top.length);
            assertEquals(colour, top[0].getField("label"));
            float sum = 0;
            for (Row x : top) sum += (Float) x.getField("score");
            assertEquals(1f, sum, 1e-4);
        }
        assertNull(classified.get("corrupt").getField("label"), "bad image gives NULL");
        assertEquals(1, badInputs(JOBS.get(0)), "the corrupt image is counted");

        Map<String, Row> embedded = results.get(1);
        for (String colour : List.of("red", "green", "blue")) {
            float[] expected = Clip.normalize(FAKE.embedImages(List.of(images.get(colour)))[0]);
            assertArrayEquals(expected, unbox((Float[]) embedded.get(colour).getField("embedding")), 1e-6f);
        }
        assertNull(embedded.get("corrupt").getField("embedding"));

        Map<String, Row> texts = results.get(2);
        for (String q : List.of("a photo of a red thing", "green")) {
            float[] expected = Clip.normalize(FAKE.embedTexts(List.of(q))[0]);
            assertArrayEquals(expected, unbox((Float[]) texts.get(q).getField("embedding")), 1e-6f);
        }

        Map<String, Row> sims = results.get(3);
        float[] text = Clip.normalize(FAKE.embedTexts(List.of("something red"))[0]);
        for (String colour : List.of("red", "green", "blue")) {
            float[] img = Clip.normalize(FAKE.embedImages(List.of(images.get(colour)))[0]);
            assertEquals(ClipScoring.dot(img, text), (Float) sims.get(colour).getField("similarity"), 1e-5f);
        }
        assertTrue((Float) sims.get("red").getField("similarity") > 0.9f);
        assertTrue((Float) sims.get("blue").getField("similarity") < 0.5f);
        assertNull(sims.get("corrupt").getField("similarity"));
        assertNotNull(sims.get("green").getField("similarity"));
    }

    /** Sum of the clip.badInputs counters of one job. */
    static long badInputs(String job) {
        return METRICS.getMetricsByGroup().entrySet().stream()
                .filter(e -> job.equals(e.getKey().getAllVariables().get("<job_id>")))
                .map(e -> e.getValue().get("badInputs")).filter(m -> m instanceof Counter)
                .mapToLong(m -> ((Counter) m).getCount()).sum();
    }

    static float[] unbox(Float[] v) {
        assertNotNull(v);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

}
