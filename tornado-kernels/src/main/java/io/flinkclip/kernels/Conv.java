package io.flinkclip.kernels;

/** Convolution, pooling and BatchNorm over NCHW buffers (forward). */
public final class Conv {
    private Conv() {}

    /** out[n,o,oh,ow] = Σ w[o,c,i,j] · x[n,c,oh·s+i−pad, ow·s+j−pad] (+ bias[o]); zero padding. */
    public static void conv2d(float[] x, int n, int c, int h, int w, float[] weight, float[] bias, int outC, int kh, int kw,
                              int stride, int pad, float[] out) {
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1;
        Parallel.forEach(n * outC, 1, no -> {
            int b = no / outC, o = no % outC;
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    float s = bias == null ? 0 : bias[o];
                    for (int ci = 0; ci < c; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int iy = y * stride + i - pad;
                            if (iy < 0 || iy >= h) continue;
                            for (int j = 0; j < kw; j++) {
                                int ix = xx * stride + j - pad;
                                if (ix < 0 || ix >= w) continue;
                                s += weight[((o * c + ci) * kh + i) * kw + j] * x[((b * c + ci) * h + iy) * w + ix];
                            }
                        }
                    }
                    out[((b * outC + o) * oh + y) * ow + xx] = s;
                }
            }
        });
    }

    /** AvgPool2d(k, stride k) without padding (the anti-aliasing pool of CLIP's ResNet). */
    public static void avgPool(float[] x, int n, int c, int h, int w, int k, float[] out) {
        int oh = h / k, ow = w / k;
        float inv = 1f / (k * k);
        Parallel.forEach(n * c, 4, nc -> {
            for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) {
                float s = 0;
                for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) s += x[(nc * h + y * k + i) * w + xx * k + j];
                out[(nc * oh + y) * ow + xx] = s * inv;
            }
        });
    }

    /** Eval-mode BatchNorm in place, optionally followed by ReLU. */
    public static void batchNorm(float[] x, int n, int c, int hw, float[] mean, float[] var, float[] gamma, float[] beta,
                                 float eps, boolean relu) {
        Parallel.forEach(n * c, 4, nc -> {
            int ch = nc % c;
            float sc = (float) (gamma[ch] / Math.sqrt(var[ch] + eps));
            float sh = beta[ch] - mean[ch] * sc;
            for (int i = nc * hw; i < (nc + 1) * hw; i++) {
                float v = x[i] * sc + sh;
                x[i] = relu && v < 0 ? 0 : v;
            }
        });
    }
}
