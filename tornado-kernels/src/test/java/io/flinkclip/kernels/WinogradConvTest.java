package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WinogradConvTest {
    /** Winograd needs 16-float vectors; on AVX-512 machines (CI, the bench machine) it must be available. */
    private static boolean available() { return WinogradConv.supports(3, 1, 1, 16, 16); }

    @Test
    void matchesDirectConvolutionInDoubleAcrossGeometries() {
        assumeTrue(available(), "no 16-float vectors on this CPU");
        SplittableRandom rnd = new SplittableRandom(41);
        // {n, h, w, in, out}
        int[][] shapes = {
                {1, 1, 1, 16, 16},     // 1×1 map: only the centre tap sees data
                {2, 7, 7, 32, 48},     // odd map (last tile row/column half outside), out not a whole 32-wide panel
                {1, 5, 3, 16, 32},     // odd, not square
                {2, 6, 9, 16, 16},     // map sides not multiples of 4 (F(4×4): partial tiles on both sides)
                {3, 6, 10, 64, 64},
                {1, 4, 4, 272, 32},    // inputs above the K slice: partial sums over 2 slices
                {1, 3, 3, 32, 256},    // 4 tiles: outputs split into groups so both threads work
                {20, 14, 14, 16, 32},  // 980 tiles: several blocks, boundaries inside images
                {1, 10, 10, 272, 32},  // F(2×2): 25 tiles, the 25th in the last full tile, over 2 slices
                {1, 14, 14, 32, 64},   // F(2×2): 49 tiles (RN50's 14×14 maps); F(4×4): 16, a 4-row rest
                {1, 2, 52, 272, 32},   // 26 / 13 tiles: two rows / one row in the last full tile, over 2 slices
        };
        for (int[] s : shapes) for (int tile : new int[] {2, 4}) {
            int n = s[0], h = s[1], w = s[2], c = s[3], oc = s[4];
            float[] x = Reference.random(rnd, n * h * w * c), wt = Reference.random(rnd, oc * 9 * c);
            WinogradConv.Weights u = WinogradConv.transform(wt, oc, c, tile);
            for (int variant = 0; variant < 3; variant++) {
                float[] bias = variant > 0 ? Reference.random(rnd, oc) : null;
                float[] old = variant == 2 ? Reference.random(rnd, n * h * w * oc) : null;
                boolean relu = variant == 2;
                float[] y = old == null ? new float[n * h * w * oc] : old.clone();
                WinogradConv.conv3x3(x, n, h, w, u, bias, y, old != null, relu ? Epilogue.RELU : Epilogue.NONE);
                Reference.assertClose("winograd F(" + tile + ") " + Arrays.toString(s) + " variant " + variant,
                        Reference.convNhwc(x, n, h, w, c, wt, oc, 3, 1, 1, bias, old, relu), y, 0, Math.sqrt(9 * c), 1e-5);
            }
        }
    }

    /**
     * An image's output has the same bits alone and inside a batch, whatever kernel its tiles' products ran in: alone,
     * its last tiles are a block's rest (one or two rows in the last full tile, three to eight in 4-row tiles); in the
     * batch they fall inside whole tiles. Embeddings must not depend on the micro-batch a record lands in.
     */
    @Test
    void anImagesOutputIsBitIdenticalAloneAndInABatch() {
        assumeTrue(available(), "no 16-float vectors on this CPU");
        SplittableRandom rnd = new SplittableRandom(47);
        // {h, w, in, out}: tiles per image under F(2×2) / F(4×4): 49 / 16, 25 / 9, 26 / 7, 50 / 15, 4 / 1, 42 / 12,
        // 1 / 1, 16 / 4
        int[][] maps = {{14, 14, 32, 64}, {10, 10, 272, 32}, {4, 26, 16, 32}, {10, 20, 32, 32}, {4, 4, 16, 32},
                {14, 12, 16, 16}, {2, 2, 16, 16}, {8, 8, 48, 64}};
        for (int[] s : maps) for (int tile : new int[] {2, 4}) {
            int h = s[0], w = s[1], c = s[2], oc = s[3], n = 5, img = h * w * c, out = h * w * oc;
            float[] x = Reference.random(rnd, n * img), bias = Reference.random(rnd, oc);
            WinogradConv.Weights u = WinogradConv.transform(Reference.random(rnd, oc * 9 * c), oc, c, tile);
            float[] batch = new float[n * out];
            WinogradConv.conv3x3(x, n, h, w, u, bias, batch, false, Epilogue.RELU);
            for (int b : new int[] {0, 3, n - 1}) {
                float[] one = new float[out];
                WinogradConv.conv3x3(Arrays.copyOfRange(x, b * img, (b + 1) * img), 1, h, w, u, bias, one, false, Epilogue.RELU);
                for (int i = 0; i < out; i++) {
                    if (Float.floatToRawIntBits(one[i]) != Float.floatToRawIntBits(batch[b * out + i]))
                        throw new AssertionError("F(" + tile + ") " + Arrays.toString(s) + " image " + b + " element " + i + ": alone "
                                + one[i] + ", in the batch " + batch[b * out + i]);
                }
            }
        }
    }

    @Test
    void pooledOutputEqualsConvolutionThenAveragePool() {
        assumeTrue(available(), "no 16-float vectors on this CPU");
        SplittableRandom rnd = new SplittableRandom(43);
        // {n, h, w, in, out}: even maps; 6×10 leaves F(4×4) tiles half outside on both sides
        int[][] shapes = {{1, 2, 2, 16, 16}, {2, 6, 10, 32, 48}, {3, 8, 8, 16, 64}, {1, 12, 4, 272, 32}};
        for (int[] s : shapes) for (int tile : new int[] {2, 4}) {
            int n = s[0], h = s[1], w = s[2], c = s[3], oc = s[4];
            float[] x = Reference.random(rnd, n * h * w * c), wt = Reference.random(rnd, oc * 9 * c), bias = Reference.random(rnd, oc);
            double[] full = Reference.convNhwc(x, n, h, w, c, wt, oc, 3, 1, 1, bias, null, true);
            double[] want = new double[n * (h / 2) * (w / 2) * oc];
            for (int b = 0; b < n; b++) for (int y = 0; y < h / 2; y++) for (int xx = 0; xx < w / 2; xx++) for (int o = 0; o < oc; o++) {
                double sum = 0;
                for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) sum += full[((b * h + 2 * y + i) * w + 2 * xx + j) * oc + o];
                want[((b * (h / 2) + y) * (w / 2) + xx) * oc + o] = sum / 4;
            }
            float[] got = new float[want.length];
            WinogradConv.conv3x3Pool2(x, n, h, w, WinogradConv.transform(wt, oc, c, tile), bias, got, Epilogue.RELU);
            Reference.assertClose("pooled F(" + tile + ") " + Arrays.toString(s), want, got, 0, Math.sqrt(9 * c), 1e-5);
        }
        WinogradConv.Weights u = WinogradConv.transform(new float[9 * 16 * 16], 16, 16);
        assertThrows(IllegalArgumentException.class,
                () -> WinogradConv.conv3x3Pool2(new float[5 * 4 * 16], 1, 5, 4, u, null, new float[64], Epilogue.NONE));
    }

    @Test
    void supportsOnlyStrideOnePadOne3x3WithChannelsInSixteens() {
        assumeTrue(available(), "no 16-float vectors on this CPU");
        assertTrue(WinogradConv.supports(3, 1, 1, 64, 64));
        assertFalse(WinogradConv.supports(3, 2, 1, 64, 64));
        assertFalse(WinogradConv.supports(3, 1, 0, 64, 64));
        assertFalse(WinogradConv.supports(1, 1, 0, 64, 64));
        assertFalse(WinogradConv.supports(3, 1, 1, 8, 64));
        assertFalse(WinogradConv.supports(3, 1, 1, 64, 40));
        assertThrows(IllegalArgumentException.class, () -> WinogradConv.transform(new float[9 * 8 * 8], 8, 8));
        assertThrows(IllegalArgumentException.class, () -> WinogradConv.transform(new float[9 * 16 * 16], 16, 16, 3));
    }

    @Test
    void rejectsInconsistentArguments() {
        assumeTrue(available(), "no 16-float vectors on this CPU");
        WinogradConv.Weights u = WinogradConv.transform(new float[9 * 16 * 16], 16, 16);
        float[] x = new float[4 * 4 * 16], y = new float[4 * 4 * 16];
        assertThrows(IllegalArgumentException.class, () -> WinogradConv.conv3x3(x, 1, 4, 5, u, null, y, false, Epilogue.NONE));
        assertThrows(IllegalArgumentException.class, () -> WinogradConv.conv3x3(x, 1, 4, 4, u, null, new float[10], false, Epilogue.NONE));
        assertThrows(IllegalArgumentException.class, () -> WinogradConv.conv3x3(x, 1, 4, 4, u, new float[3], y, false, Epilogue.NONE));
        assertThrows(IllegalArgumentException.class, () -> WinogradConv.conv3x3(x, 1, 4, 4, u, null, y, false, Epilogue.QUICK_GELU));
    }
}
