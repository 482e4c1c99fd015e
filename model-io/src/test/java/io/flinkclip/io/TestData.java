package io.flinkclip.io;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared reference files and bit-exact comparisons for model-io tests. */
public final class TestData {
    private TestData() {}

    public static Path shared() {
        String dir = System.getProperty("clip.shared.dir");
        Path p = Path.of(dir == null ? "../shared" : dir);
        assertTrue(Files.isDirectory(p), "shared reference dir missing: " + p.toAbsolutePath());
        return p;
    }

    public static Path tinyVit() { return shared().resolve("reference/tiny-vit/weights.safetensors"); }

    public static Path tinyRn() { return shared().resolve("reference/tiny-rn-perturbed/weights.safetensors"); }

    public static Path openAiVocab() { return shared().resolve("vocab/bpe_simple_vocab_16e6.txt.gz"); }

    /** Same names in the same order, same shapes, dtypes and bit patterns. */
    public static void assertBitExact(StateDict expected, StateDict actual) {
        assertEquals(Arrays.asList(expected.names().toArray()), Arrays.asList(actual.names().toArray()), "tensor names/order");
        for (Tensor e : expected.tensors()) {
            Tensor a = actual.get(e.name());
            assertArrayEquals(e.shape(), a.shape(), e.name());
            assertEquals(e.storedAs(), a.storedAs(), e.name());
            if (e.data() != null) {
                float[] x = e.data(), y = a.data();
                assertEquals(x.length, y.length, e.name());
                for (int i = 0; i < x.length; i++) {
                    if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i]))
                        throw new AssertionError(e.name() + "[" + i + "]: " + x[i] + " != " + y[i]);
                }
            } else {
                assertArrayEquals(e.longs(), a.longs(), e.name());
            }
        }
    }
}
