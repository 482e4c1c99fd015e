package io.flinkclip.model.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Every reference image through the pipeline: pixels_u8 exactly, pixels within 1e-6 of OpenAI's CLIP. */
class ReferencePreprocessingTest {
    private static final Path SHARED = Path.of(System.getProperty("clip.shared.dir", "../shared"));

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void matchesReference(String config) throws IOException {
        Path dir = SHARED.resolve("reference").resolve(config);
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        int r = expected.get("image_resolution").asInt();
        StateDict ref = SafeTensors.read(dir.resolve("expected.safetensors"));
        Tensor u8 = ref.get("pixels_u8");
        Tensor px = ref.get("pixels");
        JsonNode images = expected.get("images");
        assertEquals(images.size(), u8.dim(0));
        assertEquals(r, u8.dim(1));
        int perU8 = r * r * 3;

        ImagePreprocessor pre = new ImagePreprocessor();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            JsonNode info = images.get(i);
            String name = info.get("name").asText();
            byte[] bytes = Files.readAllBytes(dir.resolve(info.get("file").asText()));
            DecodedImage img = pre.decoder().decode(bytes);
            assertEquals(info.get("mode").asText(), img.mode().pilName(), name + " mode");
            assertEquals(info.get("width").asInt(), img.width(), name + " width");
            assertEquals(info.get("height").asInt(), img.height(), name + " height");

            byte[] got = pre.resizeAndCropU8(img, r);
            int diff = 0, maxDiff = 0, first = -1;
            for (int j = 0; j < perU8; j++) {
                int d = Math.abs((got[j] & 255) - (int) u8.longs()[i * perU8 + j]);
                if (d != 0) {
                    diff++;
                    if (first < 0) first = j;
                }
                maxDiff = Math.max(maxDiff, d);
            }
            if (diff != 0) {
                failures.add(name + ": " + diff + "/" + perU8 + " bytes differ, max " + maxDiff + ", first at " + first);
                continue;
            }
            float[] p = pre.preprocess(bytes, r);
            double maxErr = 0;
            for (int j = 0; j < p.length; j++) maxErr = Math.max(maxErr, Math.abs(p[j] - px.data()[i * p.length + j]));
            if (maxErr > 1e-6) failures.add(name + ": pixels max error " + maxErr);
        }
        if (!failures.isEmpty()) fail(config + " at " + r + ":\n" + String.join("\n", failures));

        List<byte[]> all = new ArrayList<>();
        for (JsonNode info : images) all.add(Files.readAllBytes(dir.resolve(info.get("file").asText())));
        float[] batch = pre.preprocessBatch(all, r);
        assertEquals(px.data().length, batch.length);
        for (int j = 0; j < batch.length; j++) {
            assertTrue(Math.abs(batch[j] - px.data()[j]) <= 1e-6f, "batch value " + j);
        }
    }

    /** One shared preprocessor used from several threads gives the sequential results. */
    @Test
    void sharedAcrossThreads() throws Exception {
        Path dir = SHARED.resolve("reference").resolve("tiny-vit");
        JsonNode images = new ObjectMapper().readTree(dir.resolve("expected.json").toFile()).get("images");
        List<byte[]> all = new ArrayList<>();
        for (JsonNode info : images) all.add(Files.readAllBytes(dir.resolve(info.get("file").asText())));
        ImagePreprocessor pre = new ImagePreprocessor();
        List<float[]> sequential = new ArrayList<>();
        for (byte[] b : all) sequential.add(pre.preprocess(b, 64));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) for (byte[] b : all) futures.add(pool.submit(() -> pre.preprocess(b, 64)));
            for (int i = 0; i < futures.size(); i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(sequential.get(i % all.size()), futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
