package io.flinkclip.flink;

import io.flinkclip.io.DType;
import io.flinkclip.io.Progress;
import io.flinkclip.io.convert.ModelConverter;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.NativeModelWriter;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipLoader;
import io.flinkclip.tasks.zeroshot.Prediction;
import io.flinkclip.tasks.zeroshot.ZeroShotClassifier;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's SQL on a MiniCluster with a REAL CLIP model (the tiny ViT reference model, converted to the
 * native format with its vocabulary): every SQL result must equal what the library computes directly with
 * the same model. The fake-model test covers CREATE FUNCTION … USING JAR; here the functions are registered
 * by class so the real model's classes come from the test class path.
 */
class RealModelSqlTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final Path SHARED = Path.of(System.getProperty("clip.shared.dir", "../shared"));
    static Path model;
    static Clip clip;
    static final Map<String, byte[]> IMAGES = new LinkedHashMap<>();

    @BeforeAll
    static void convertModel(@TempDir Path dir) throws Exception {
        Path ref = SHARED.resolve("reference/tiny-vit");
        NativeModel m = ModelConverter.load(ref.resolve("weights.safetensors"), SHARED.resolve("vocab/bpe_simple_vocab_16e6.txt.gz"), Progress.NONE)
                .withHeads(1, 2); // the reference's text tower has 2 heads (not OpenAI's width/64 rule)
        model = dir.resolve("tiny-vit.fclip");
        NativeModelWriter.write(model, m, DType.F32, Progress.NONE);
        clip = ClipLoader.load(model.toString());
        for (String name : List.of("square_rgb_64x64", "noise_rgb_150x200", "gray_L_64x64", "palette_P_90x90")) {
            IMAGES.put(name, Files.readAllBytes(ref.resolve("images/" + name + ".png")));
        }
        IMAGES.put("corrupt", new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    }

    @Test
    void sqlResultsEqualTheLibraryOnTheSameModel() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction("CLIP_CLASSIFY", io.flinkclip.flink.sql.ClipClassifyFunction.class);
        t.createTemporarySystemFunction("CLIP_EMBED_IMAGE", io.flinkclip.flink.sql.ClipEmbedImageFunction.class);
        t.createTemporarySystemFunction("CLIP_EMBED_TEXT", io.flinkclip.flink.sql.ClipEmbedTextFunction.class);
        t.createTemporarySystemFunction("CLIP_SIMILARITY", io.flinkclip.flink.sql.ClipSimilarityFunction.class);
        t.getConfig().set("clip.model", model.toString());
        t.createTemporaryView("images", t.fromValues(
                DataTypes.ROW(DataTypes.FIELD("name", DataTypes.STRING()), DataTypes.FIELD("image", DataTypes.BYTES())),
                IMAGES.entrySet().stream().map(e -> Row.of(e.getKey(), e.getValue())).toArray()));

        List<String> labels = List.of("red", "green", "blue"), templates = List.of("a photo of a {}.");
        ZeroShotClassifier zs = ZeroShotClassifier.create(clip, "direct", labels, templates);
        Map<String, Row> classified = ClipSqlTest.byFirstField(t.sqlQuery(
                "SELECT name, t.c.label AS label, t.c.score AS score, t.c.`top` AS `top` FROM (SELECT name, "
                        + "CLIP_CLASSIFY(image, ARRAY['red', 'green', 'blue'], ARRAY['a photo of a {}.']) AS c FROM images) AS t"));
        Map<String, Row> embedded = ClipSqlTest.byFirstField(t.sqlQuery("SELECT name, CLIP_EMBED_IMAGE(image) AS embedding FROM images"));
        Map<String, Row> sims = ClipSqlTest.byFirstField(t.sqlQuery("SELECT name, CLIP_SIMILARITY(image, 'something red') AS similarity FROM images"));
        Map<String, Row> texts = ClipSqlTest.byFirstField(t.sqlQuery(
                "SELECT q, CLIP_EMBED_TEXT(q) AS embedding FROM (VALUES ('a photo of a red thing'), ('green')) AS queries(q)"));

        float[] redText = Clip.normalize(clip.embedTexts(List.of("something red"))[0]);
        List<String> seenLabels = new ArrayList<>();
        for (String name : IMAGES.keySet()) {
            if (name.equals("corrupt")) continue;
            float[][] emb = clip.embedImages(List.of(IMAGES.get(name)));
            Prediction best = zs.classify(emb, 1).getFirst().getFirst();
            Row r = classified.get(name);
            assertEquals(best.label(), r.getField("label"), name);
            assertEquals((float) best.probability(), (Float) r.getField("score"), 1e-5f, name);
            assertEquals(3, ((Row[]) r.getField("top")).length);
            seenLabels.add(best.label());
            float[] img = Clip.normalize(emb[0]);
            assertArrayEquals(img, ClipSqlTest.unbox((Float[]) embedded.get(name).getField("embedding")), 1e-6f, name);
            float dot = 0;
            for (int i = 0; i < img.length; i++) dot += img[i] * redText[i];
            assertEquals(dot, (Float) sims.get(name).getField("similarity"), 1e-5f, name);
        }
        assertEquals(4, seenLabels.size());
        for (String q : List.of("a photo of a red thing", "green")) {
            assertArrayEquals(Clip.normalize(clip.embedTexts(List.of(q))[0]), ClipSqlTest.unbox((Float[]) texts.get(q).getField("embedding")), 1e-6f, q);
        }
        assertNull(classified.get("corrupt").getField("label"));
        assertNull(embedded.get("corrupt").getField("embedding"));
        assertNull(sims.get("corrupt").getField("similarity"));
    }

    @Test
    void fileProviderClaimsFilesAndLeavesOtherSchemesAlone() {
        FileModelProvider p = new FileModelProvider();
        assertTrue(p.supports("/models/vit.fclip"));
        assertTrue(p.supports("s3://bucket/vit.fclip"));
        assertTrue(p.supports("file:///models/vit.fclip"));
        assertFalse(p.supports("supplier:com.example.Model"));
        assertFalse(p.supports("fake:plain"));
        RuntimeException e = assertThrows(io.flinkclip.kernels.device.DeviceException.class, () -> p.load(model + "#device=tpu"));
        assertTrue(e.getMessage().contains("tpu"), e.getMessage());
    }
}
