package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/** Straightforward double-accumulating reference kernels and comparison helpers for the tests. */
final class Reference {
    private Reference() {}

    static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    /** C = A·B with A(i,p), B(p,j) read through the given layouts; the caller combines with old C/bias. */
    static double[] gemm(float[] a, int aOff, boolean aT, float[] b, int bOff, boolean bT, int m, int n, int k) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = aT ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    double bv = bT ? b[bOff + j * k + p] : b[bOff + p * n + j];
                    s += av * bv;
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    static double quickGelu(double v) { return v / (1.0 + Math.exp(-1.702 * v)); }

    /**
     * Asserts |actual − expected| ≤ tol · (scale + |expected|) elementwise over [off, off+n) of actual,
     * where expected is indexed from 0.
     */
    static void assertClose(String what, double[] expected, float[] actual, int off, double scale, double tol) {
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[off + i];
            if (!(Math.abs(a - e) <= tol * (scale + Math.abs(e))))
                fail(what + ": index " + i + " expected " + e + " got " + a + " (tol " + tol + ", scale " + scale + ")");
        }
    }

    static double[] toDouble(float[] x, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = x[off + i];
        return d;
    }
}
