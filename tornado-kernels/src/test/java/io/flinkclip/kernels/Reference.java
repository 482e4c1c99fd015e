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

    /** y[b, oy, ox, o] = Σ w[o, (i, j, ci)] · x[b, oy·s + i − pad, ox·s + j − pad, ci], in double. */
    static double[] convNhwc(float[] x, int n, int h, int w, int c, float[] wt, int oc, int k, int stride, int pad,
                             float[] bias, float[] old, boolean relu) {
        int oh = ConvNhwc.outSize(h, k, stride, pad), ow = ConvNhwc.outSize(w, k, stride, pad);
        double[] want = new double[n * oh * ow * oc];
        for (int b = 0; b < n; b++) for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) for (int o = 0; o < oc; o++) {
            int idx = ((b * oh + y) * ow + xx) * oc + o;
            double acc = (bias == null ? 0 : bias[o]) + (old == null ? 0 : old[idx]);
            for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) {
                int iy = y * stride + i - pad, ix = xx * stride + j - pad;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                for (int ci = 0; ci < c; ci++) acc += (double) wt[o * k * k * c + (i * k + j) * c + ci] * x[((b * h + iy) * w + ix) * c + ci];
            }
            want[idx] = relu ? Math.max(0, acc) : acc;
        }
        return want;
    }
}
