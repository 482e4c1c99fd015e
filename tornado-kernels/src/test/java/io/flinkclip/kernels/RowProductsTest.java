package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RowProductsTest {
    @Test
    void dotsAndWeightedSumsMatchReference() {
        SplittableRandom rnd = new SplittableRandom(3);
        // Widths with and without a vector tail; row counts around the groups of four; offsets inside larger arrays.
        for (int width : new int[] {16, 64, 2048, 37, 5}) {
            for (int rows : new int[] {1, 3, 4, 7, 32}) {
                int tokens = 1 + rnd.nextInt(60), qOff = rnd.nextInt(4), xOff = rnd.nextInt(4), oOff = rnd.nextInt(4);
                float[] q = Reference.random(rnd, qOff + rows * width), x = Reference.random(rnd, xOff + tokens * width);
                float[] dots = new float[oOff + rows * tokens];
                RowProducts.dots(q, qOff, rows, x, xOff, tokens, width, dots, oOff);
                double[] want = Reference.gemm(q, qOff, false, x, xOff, true, rows, tokens, width);
                Reference.assertClose("dots " + rows + "x" + tokens + "x" + width, want, dots, oOff, Math.sqrt(width), 1e-5);

                float[] p = Reference.random(rnd, oOff + rows * tokens), sums = new float[xOff + rows * width];
                RowProducts.weightedSums(p, oOff, rows, x, xOff, tokens, width, sums, xOff);
                double[] wantSums = Reference.gemm(p, oOff, false, x, xOff, false, rows, width, tokens);
                Reference.assertClose("sums " + rows + "x" + width + "x" + tokens, wantSums, sums, xOff, Math.sqrt(tokens), 1e-5);
            }
        }
    }

    /** A row's result does not depend on the rows computed with it (the attention pool splits heads by thread count). */
    @Test
    void eachRowIsBitIdenticalAloneAndInAGroup() {
        SplittableRandom rnd = new SplittableRandom(4);
        int rows = 11, tokens = 50, width = 2048 + 16;
        float[] q = Reference.random(rnd, rows * width), x = Reference.random(rnd, tokens * width), p = Reference.random(rnd, rows * tokens);
        float[] dots = new float[rows * tokens], sums = new float[rows * width];
        RowProducts.dots(q, 0, rows, x, 0, tokens, width, dots, 0);
        RowProducts.weightedSums(p, 0, rows, x, 0, tokens, width, sums, 0);
        for (int i = 0; i < rows; i++) {
            for (int n = 1; i + n <= rows && n <= 5; n++) {
                float[] d = new float[n * tokens], s = new float[n * width];
                RowProducts.dots(q, i * width, n, x, 0, tokens, width, d, 0);
                RowProducts.weightedSums(p, i * tokens, n, x, 0, tokens, width, s, 0);
                assertArrayEquals(Arrays.copyOfRange(dots, i * tokens, (i + n) * tokens), d, "dots rows " + i + "+" + n);
                assertArrayEquals(Arrays.copyOfRange(sums, i * width, (i + n) * width), s, "sums rows " + i + "+" + n);
            }
        }
    }

    @Test
    void outOfRangeOperandsFailClearly() {
        float[] q = new float[32], x = new float[32], out = new float[4];
        assertThrows(IllegalArgumentException.class, () -> RowProducts.dots(q, 0, 2, x, 0, 2, 16, new float[3], 0));
        assertThrows(IllegalArgumentException.class, () -> RowProducts.dots(q, 20, 2, x, 0, 2, 16, out, 0));
        assertThrows(IllegalArgumentException.class, () -> RowProducts.weightedSums(q, 0, 2, x, 0, 3, 16, out, 0));
    }
}
