package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConvTest {
    @Test
    void conv2dMatchesReferenceForClipGeometries() {
        SplittableRandom rnd = new SplittableRandom(20);
        // {n, c, h, w, outC, kh, kw, stride, pad}
        int[][] shapes = {
                {2, 3, 16, 16, 8, 3, 3, 2, 1},    // ResNet stem conv
                {1, 5, 9, 7, 6, 3, 3, 1, 1},      // 3×3 same, odd sizes
                {2, 16, 6, 6, 40, 1, 1, 1, 0},    // bottleneck 1×1
                {1, 3, 32, 32, 24, 8, 8, 8, 0},   // ViT patch embedding (kernel = stride)
                {1, 3, 20, 20, 40, 16, 16, 16, 0},// patch conv with a ragged border (20/16)
                {3, 4, 5, 5, 3, 2, 3, 2, 2},      // asymmetric kernel, stride 2, wide padding
                {1, 2, 1, 1, 3, 1, 1, 1, 0},      // 1×1 image
                {1, 70, 9, 9, 33, 3, 3, 1, 1},    // K and N across several tiles
                {1, 2, 3, 40, 5, 3, 3, 1, 1},     // output rows wider than a packed panel
                {2, 2, 5, 71, 4, 3, 3, 2, 1},     // wide rows with stride 2
        };
        for (int[] s : shapes) {
            int n = s[0], c = s[1], h = s[2], w = s[3], oc = s[4], kh = s[5], kw = s[6], st = s[7], pad = s[8];
            int oh = (h + 2 * pad - kh) / st + 1, ow = (w + 2 * pad - kw) / st + 1;
            float[] x = Reference.random(rnd, n * c * h * w), wt = Reference.random(rnd, oc * c * kh * kw);
            for (boolean withBias : new boolean[] {false, true}) {
                float[] bias = withBias ? Reference.random(rnd, oc) : null;
                float[] out = new float[n * oc * oh * ow];
                Conv.conv2d(x, n, c, h, w, wt, bias, oc, kh, kw, st, pad, out);
                double[] want = new double[out.length];
                for (int b = 0; b < n; b++) for (int o = 0; o < oc; o++) for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) {
                    double acc = bias == null ? 0 : bias[o];
                    for (int ci = 0; ci < c; ci++) for (int i = 0; i < kh; i++) for (int j = 0; j < kw; j++) {
                        int iy = y * st + i - pad, ix = xx * st + j - pad;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        acc += (double) wt[((o * c + ci) * kh + i) * kw + j] * x[((b * c + ci) * h + iy) * w + ix];
                    }
                    want[((b * oc + o) * oh + y) * ow + xx] = acc;
                }
                Reference.assertClose("conv2d " + java.util.Arrays.toString(s) + " bias=" + withBias, want, out, 0,
                        Math.sqrt(c * kh * kw), 1e-5);
            }
        }
    }

    @Test
    void avgPoolAndBatchNormMatchReference() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int[] s : new int[][] {{2, 3, 8, 8, 2}, {1, 5, 7, 9, 3}, {3, 2, 4, 4, 4}, {1, 1, 5, 5, 1}}) {
            int n = s[0], c = s[1], h = s[2], w = s[3], k = s[4], oh = h / k, ow = w / k;
            float[] x = Reference.random(rnd, n * c * h * w), out = new float[n * c * oh * ow];
            Conv.avgPool(x, n, c, h, w, k, out);
            double[] want = new double[out.length];
            for (int nc = 0; nc < n * c; nc++) for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) {
                double acc = 0;
                for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) acc += x[(nc * h + y * k + i) * w + xx * k + j];
                want[(nc * oh + y) * ow + xx] = acc / (k * k);
            }
            Reference.assertClose("avgPool " + java.util.Arrays.toString(s), want, out, 0, 1, 1e-6);

            for (boolean relu : new boolean[] {false, true}) {
                float[] mean = Reference.random(rnd, c), var = Reference.random(rnd, c), g = Reference.random(rnd, c), b = Reference.random(rnd, c);
                for (int i = 0; i < c; i++) var[i] = Math.abs(var[i]) + 0.1f;
                float[] y = x.clone();
                Conv.batchNorm(y, n, c, h * w, mean, var, g, b, 1e-5f, relu);
                double[] wantBn = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    int ch = (i / (h * w)) % c;
                    double v = (x[i] - mean[ch]) / Math.sqrt(var[ch] + 1e-5) * g[ch] + b[ch];
                    wantBn[i] = relu ? Math.max(0, v) : v;
                }
                Reference.assertClose("batchNorm relu=" + relu, wantBn, y, 0, 1, 1e-5);
            }
        }
    }

    @Test
    void badGeometryFailsClearly() {
        float[] x = new float[3 * 4 * 4], w = new float[27], out = new float[64];
        assertThrows(IllegalArgumentException.class, () -> Conv.conv2d(x, 1, 3, 4, 4, w, null, 1, 3, 3, 0, 1, out));
        assertThrows(IllegalArgumentException.class, () -> Conv.conv2d(x, 1, 3, 4, 4, w, null, 1, 9, 9, 1, 0, out));
        assertThrows(IllegalArgumentException.class, () -> Conv.conv2d(x, 1, 3, 4, 4, w, null, 2, 3, 3, 1, 1, out));
        assertThrows(IllegalArgumentException.class, () -> Conv.avgPool(x, 1, 3, 4, 4, 0, out));
    }
}
