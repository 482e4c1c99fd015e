package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OptimizerKernelsTest {
    @Test
    void adamWIsBitIdenticalToTheScalarUpdate() {
        SplittableRandom rnd = new SplittableRandom(41);
        // Lengths below, at and across the vector width and the parallel block, with ragged tails.
        for (int n : new int[] {1, 15, 16, 33, 16384, 16384 * 3 + 7}) {
            float[] w = Reference.random(rnd, n), g = Reference.random(rnd, n), m = Reference.random(rnd, n), v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) rnd.nextDouble(0, 0.01);
            float[] w2 = w.clone(), m2 = m.clone(), v2 = v.clone();
            float decay = 0.9998f, b1 = 0.9f, b2 = 0.98f, bc2 = 0.3f, stepSize = 1e-3f, eps = 1e-6f;
            OptimizerKernels.adamW(w, g, m, v, decay, b1, b2, bc2, stepSize, eps);
            for (int i = 0; i < n; i++) {
                float gi = g[i];
                w2[i] *= decay;
                m2[i] += (gi - m2[i]) * (1 - b1);
                v2[i] = v2[i] * b2 + (1 - b2) * gi * gi;
                float denom = (float) Math.sqrt(v2[i]) / bc2 + eps;
                w2[i] -= stepSize * (m2[i] / denom);
            }
            assertArrayEquals(w2, w, "weights, n=" + n);
            assertArrayEquals(m2, m, "first moment, n=" + n);
            assertArrayEquals(v2, v, "second moment, n=" + n);
        }
    }

    @Test
    void addIntoIsTheScalarSumAndStopsAtN() {
        SplittableRandom rnd = new SplittableRandom(43);
        for (int n : new int[] {0, 1, 17, 16384 * 3 + 5}) {
            float[] dst = Reference.random(rnd, n + 9), src = Reference.random(rnd, n + 4), want = dst.clone();
            for (int i = 0; i < n; i++) want[i] += src[i];
            OptimizerKernels.addInto(dst, src, n);
            assertArrayEquals(want, dst, "n=" + n);
        }
    }

    @Test
    void reductionsScalingAndFiniteChecks() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int n : new int[] {0, 3, 8, 100, 16384 * 2 + 5}) {
            float[] x = Reference.random(rnd, n);
            double want = 0;
            for (float f : x) want += (double) f * f;
            assertEquals(want, OptimizerKernels.sumOfSquares(x), 1e-12 * Math.max(1, want), "n=" + n);
            float[] y = x.clone();
            OptimizerKernels.scale(y, 0.37f);
            for (int i = 0; i < n; i++) assertEquals(x[i] * 0.37f, y[i], 0f);
            assertEquals(-1, OptimizerKernels.firstNonFinite(x));
            if (n > 0) {
                int at = n / 2;
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float[] z = x.clone();
                    z[at] = bad;
                    assertEquals(at, OptimizerKernels.firstNonFinite(z));
                    assertTrue(!Double.isFinite(OptimizerKernels.sumOfSquares(z)));
                }
            }
        }
    }
}
