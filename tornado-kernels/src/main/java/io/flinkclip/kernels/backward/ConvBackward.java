package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.Parallel;

/**
 * Backward of {@link io.flinkclip.kernels.Conv#conv2d} (NCHW, zero padding, square stride) and of
 * {@link io.flinkclip.kernels.Conv#avgPool}, through im2col: per image, col[c·kh·kw, oh·ow] so that the forward is
 * out_b = W[outC, c·kh·kw] · col, hence dW += dout_b · colᵀ and dcol = Wᵀ · dout_b scattered back by col2im.
 */
public final class ConvBackward {
    private ConvBackward() {}

    /**
     * Accumulates dx (may be null: no input gradient, e.g. pixels), dW and db (may be null for bias-free convs).
     */
    public static void conv2d(float[] x, int n, int c, int h, int w, float[] weight, int outC, int kh, int kw, int stride, int pad,
                              float[] dOut, float[] dx, float[] dWeight, float[] dBias) {
        Spans.positive("conv2d backward", n, c, h, w, outC, kh, kw, stride);
        if (pad < 0 || h + 2 * pad < kh || w + 2 * pad < kw) throw new IllegalArgumentException("conv2d backward: kernel larger than padded input");
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1;
        int ckk = c * kh * kw, ohw = oh * ow;
        Spans.check(x, 0, (long) n * c * h * w, "x");
        Spans.check(weight, 0, (long) outC * ckk, "weight");
        Spans.check(dWeight, 0, (long) outC * ckk, "dWeight");
        Spans.check(dOut, 0, (long) n * outC * ohw, "dOut");
        if (dx != null) Spans.check(dx, 0, (long) n * c * h * w, "dx");
        if (dBias != null) Spans.check(dBias, 0, outC, "dBias");
        float[] col = new float[ckk * ohw];
        float[] dcol = dx == null ? null : new float[ckk * ohw];
        for (int b = 0; b < n; b++) {
            im2col(x, b, c, h, w, kh, kw, stride, pad, oh, ow, col);
            int doff = b * outC * ohw;
            Gemm.nt(dOut, doff, col, 0, null, dWeight, 0, outC, ckk, ohw, true);
            if (dx != null) {
                Gemm.tn(weight, 0, dOut, doff, dcol, 0, ckk, ohw, outC, false);
                col2im(dcol, b, c, h, w, kh, kw, stride, pad, oh, ow, dx);
            }
            if (dBias != null) {
                for (int o = 0; o < outC; o++) {
                    double s = 0;
                    for (int i = 0; i < ohw; i++) s += dOut[doff + o * ohw + i];
                    dBias[o] += (float) s;
                }
            }
        }
    }

    static void im2col(float[] x, int b, int c, int h, int w, int kh, int kw, int stride, int pad, int oh, int ow, float[] col) {
        Parallel.forEach(c * kh * kw, 4, row -> {
            int ci = row / (kh * kw), i = row / kw % kh, j = row % kw;
            int base = ((b * c + ci) * h) * w;
            for (int y = 0; y < oh; y++) {
                int iy = y * stride + i - pad;
                for (int xx = 0; xx < ow; xx++) {
                    int ix = xx * stride + j - pad;
                    col[(row * oh + y) * ow + xx] = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0f : x[base + iy * w + ix];
                }
            }
        });
    }

    /** Adds col back into image b of dx; parallel over channels (rows of one channel may overlap, channels never do). */
    static void col2im(float[] dcol, int b, int c, int h, int w, int kh, int kw, int stride, int pad, int oh, int ow, float[] dx) {
        Parallel.forEach(c, 1, ci -> {
            int base = ((b * c + ci) * h) * w;
            for (int i = 0; i < kh; i++) for (int j = 0; j < kw; j++) {
                int row = (ci * kh + i) * kw + j;
                for (int y = 0; y < oh; y++) {
                    int iy = y * stride + i - pad;
                    if (iy < 0 || iy >= h) continue;
                    for (int xx = 0; xx < ow; xx++) {
                        int ix = xx * stride + j - pad;
                        if (ix < 0 || ix >= w) continue;
                        dx[base + iy * w + ix] += dcol[(row * oh + y) * ow + xx];
                    }
                }
            }
        });
    }

    /** AvgPool2d(k, stride k): each input of a window receives dOut/k² (inputs beyond the last full window get 0). */
    public static void avgPool(float[] dOut, int n, int c, int h, int w, int k, float[] dx) {
        Spans.positive("avgPool backward", n, c, h, w, k);
        int oh = h / k, ow = w / k;
        Spans.check(dOut, 0, (long) n * c * oh * ow, "dOut");
        Spans.check(dx, 0, (long) n * c * h * w, "dx");
        float inv = 1f / (k * k);
        Parallel.forEach(n * c, 4, nc -> {
            for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) {
                float g = dOut[(nc * oh + y) * ow + xx] * inv;
                for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) dx[(nc * h + y * k + i) * w + xx * k + j] += g;
            }
        });
    }
}
