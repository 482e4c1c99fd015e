package io.flinkclip.model;

import io.flinkclip.model.nn.TextTransformer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.flinkclip.model.ReferenceCase.assertClose;
import static io.flinkclip.model.ReferenceCase.flatten;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Text-tower input handling: unpadded rows, the padding skip, bad ids. */
class ClipModelTextTest {
    private final ReferenceCase ref = ReferenceCase.load("tiny-vit");
    private final ClipModel model = ref.model();

    private static int[] unpad(int[] row) {
        int eot = 0;
        while (row[eot] != TextTransformer.EOT) eot++;
        return Arrays.copyOf(row, eot + 1);
    }

    @Test
    void unpaddedRowsEncodeExactlyLikePaddedRows() {
        int[][] padded = ref.tokens(0, ref.textCount());
        int[][] unpadded = Arrays.stream(padded).map(ClipModelTextTest::unpad).toArray(int[][]::new);
        assertTrue(Arrays.stream(unpadded).anyMatch(r -> r.length < 77), "the reference must contain short texts");
        float[][] a = model.encodeTexts(padded), b = model.encodeTexts(unpadded);
        for (int i = 0; i < a.length; i++) assertArrayEquals(a[i], b[i], "row " + i);
    }

    @Test
    void paddingSkipEqualsFullContextLength() {
        // the reference holds a text truncated to 77 ids; leave it out so the skip really shortens the batch
        int[][] all = ref.tokens(0, ref.textCount());
        int[] rows = java.util.stream.IntStream.range(0, all.length).filter(i -> unpad(all[i]).length < 77).toArray();
        int[][] tokens = Arrays.stream(rows).mapToObj(i -> all[i]).toArray(int[][]::new);
        int longest = Arrays.stream(tokens).mapToInt(r -> unpad(r).length).max().orElseThrow();
        assertTrue(rows.length > 10 && longest < 77, "the skip must actually shorten the batch for this test to mean anything");
        float[] skipped = flatten(model.encodeTexts(tokens, null, true));
        float[] full = flatten(model.encodeTexts(tokens, null, false));
        assertClose("skip vs full", full, skipped, 1e-6);
        float[] expected = ref.expected.get("text_embeds").data();
        int d = ref.config.embedDim();
        float[] expectedRows = new float[rows.length * d];
        for (int k = 0; k < rows.length; k++) System.arraycopy(expected, rows[k] * d, expectedRows, k * d, d);
        assertClose("skip vs reference", expectedRows, skipped, 1e-4);
    }

    @Test
    void batchCompositionDoesNotChangeARow() {
        int[][] tokens = ref.tokens(0, 9);
        float[][] together = model.encodeTexts(tokens);
        float[][] chunked = model.withMaxBatch(4).encodeTexts(tokens);
        for (int i = 0; i < tokens.length; i++) {
            float[] alone = model.encodeTexts(new int[][] {tokens[i]})[0];
            assertClose("row " + i + " alone", together[i], alone, 1e-6);
            assertClose("row " + i + " chunked", together[i], chunked[i], 1e-6);
        }
    }

    @Test
    void poolsAtArgmaxLikeOpenAI() {
        // two EOTs: OpenAI's argmax picks the first, so whatever follows it must not matter
        int[] a = {49406, 320, 1125, 49407, 0, 0};
        int[] b = {49406, 320, 1125, 49407, 539, 49407};
        float[][] out = model.encodeTexts(new int[][] {a, b});
        assertArrayEquals(out[0], out[1]);
    }

    @Test
    void rejectsBadRows() {
        assertThrows(IllegalArgumentException.class, () -> model.encodeTexts(new int[][] {{49406, 49408, 49407}}));
        assertThrows(IllegalArgumentException.class, () -> model.encodeTexts(new int[][] {{49406, -1, 49407}}));
        assertThrows(IllegalArgumentException.class, () -> model.encodeTexts(new int[][] {{}}));
        assertThrows(IllegalArgumentException.class, () -> model.encodeTexts(new int[][] {new int[78]}));
        assertThrows(IllegalArgumentException.class, () -> model.encodeImages(new float[10], 1));
        float[] nan = ref.pixels(0, 1);
        nan[5] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> model.encodeImages(nan, 1));
    }

    @Test
    void concurrentCallsOnOneModelAgree() throws Exception {
        int[][] tokens = ref.tokens(0, 6);
        float[][] expected = model.encodeTexts(tokens);
        float[] pixels = ref.pixels(0, 3);
        float[][] expectedImg = model.encodeImages(pixels, 3);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<float[][][]>>();
            for (int i = 0; i < 8; i++) futures.add(pool.submit(() -> new float[][][] {model.encodeTexts(tokens), model.encodeImages(pixels, 3)}));
            for (var f : futures) {
                float[][][] got = f.get();
                for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], got[0][i]);
                for (int i = 0; i < expectedImg.length; i++) assertArrayEquals(expectedImg[i], got[1][i]);
            }
        }
    }

    @Test
    void emptyBatches() {
        assertTrue(model.encodeTexts(new int[0][]).length == 0);
        assertTrue(model.encodeImages(new float[0], 0).length == 0);
    }
}
