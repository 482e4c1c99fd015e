package io.flinkclip.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One reference folder of /work/shared/reference: weights, expected tensors and the config OpenAI used. */
final class ReferenceCase {
    private static final ConcurrentHashMap<String, ReferenceCase> CACHE = new ConcurrentHashMap<>();

    final String name;
    final StateDict weights, expected;
    final ClipConfig config;
    final JsonNode json;

    private ReferenceCase(String name) throws IOException {
        this.name = name;
        Path dir = dir(name);
        weights = SafeTensors.read(dir.resolve("weights.safetensors"));
        expected = SafeTensors.read(dir.resolve("expected.safetensors"));
        json = new ObjectMapper().readTree(Files.readString(dir.resolve("expected.json")));
        // Head counts are invisible in shapes: the text heads of these models are not width/64.
        ClipConfig inferred = ClipConfig.infer(weights);
        config = inferred.withHeads(inferred.visionHeads(), json.get("hparams").get("transformer_heads").asInt());
    }

    static Path dir(String name) {
        String shared = System.getProperty("clip.shared.dir", "../../shared");
        return Path.of(shared, "reference", name);
    }

    static ReferenceCase load(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            try {
                return new ReferenceCase(n);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read reference " + n, e);
            }
        });
    }

    ClipModel model() { return ClipModel.fromStateDict(weights, config); }

    int[][] tokens(int from, int to) {
        Tensor t = expected.get("tokens");
        int ctx = t.dim(1);
        int[][] rows = new int[to - from][ctx];
        for (int r = from; r < to; r++) for (int c = 0; c < ctx; c++) rows[r - from][c] = (int) t.longs()[r * ctx + c];
        return rows;
    }

    int textCount() { return expected.get("tokens").dim(0); }

    int imageCount() { return expected.get("pixels").dim(0); }

    float[] pixels(int from, int to) {
        Tensor t = expected.get("pixels");
        int per = (int) (t.numel() / t.dim(0));
        return Arrays.copyOfRange(t.data(), from * per, to * per);
    }

    /** max|Δ| / max|ref| over the whole tensor, asserted ≤ tol; returns the observed ratio. */
    static double assertClose(String what, Tensor ref, float[] actual, int[] actualShape, double tol) {
        assertArrayEquals(ref.shape(), actualShape, what + ": shape");
        return assertClose(what, ref.data(), actual, tol);
    }

    static double assertClose(String what, float[] ref, float[] actual, double tol) {
        assertTrue(ref.length == actual.length, what + ": " + actual.length + " values, expected " + ref.length);
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            double d = Math.abs((double) ref[i] - actual[i]);
            if (!(d <= maxDiff)) maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
        }
        double ratio = maxDiff / Math.max(maxRef, Float.MIN_NORMAL);
        assertTrue(ratio <= tol, what + ": max|Δ| = " + maxDiff + " is " + ratio + " of max|ref| = " + maxRef + " (tolerance " + tol + ")");
        return ratio;
    }

    static float[] flatten(float[][] rows) {
        int d = rows.length == 0 ? 0 : rows[0].length;
        float[] out = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * d, d);
        return out;
    }
}
