package io.flinkclip.model.nn;

import io.flinkclip.kernels.Parallel;

/** Helpers for the channels-last (NHWC) maps of the inference ResNet. */
final class Nhwc {
    private Nhwc() {}

    /** AvgPool2d(k, stride k) without padding: x [n, h, w, c] → out [n, h/k, w/k, c]. */
    static void avgPool(float[] x, int n, int h, int w, int c, int k, float[] out) {
        int oh = h / k, ow = w / k;
        float inv = 1f / (k * k);
        Parallel.forEach(n * oh, Math.max(1, 4096 / Math.max(1, ow * c)), ry -> {
            int b = ry / oh, y = ry % oh;
            for (int xx = 0; xx < ow; xx++) {
                int o = ((b * oh + y) * ow + xx) * c;
                java.util.Arrays.fill(out, o, o + c, 0f);
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                        int src = ((b * h + y * k + i) * w + xx * k + j) * c;
                        for (int ch = 0; ch < c; ch++) out[o + ch] += x[src + ch];
                    }
                }
                for (int ch = 0; ch < c; ch++) out[o + ch] *= inv;
            }
        });
    }

    /** [n, h·w, c] → [n, c, h·w] (traces use PyTorch's NCHW layout). */
    static float[] toNchw(float[] x, int n, int hw, int c) {
        float[] out = new float[n * hw * c];
        for (int b = 0; b < n; b++) for (int s = 0; s < hw; s++) for (int ch = 0; ch < c; ch++) out[(b * c + ch) * hw + s] = x[(b * hw + s) * c + ch];
        return out;
    }

    /** [n, c, h·w] → [n, h·w, c]. */
    static float[] fromNchw(float[] x, int n, int c, int hw, float[] out) { return fromNchw(x, 0, n, c, hw, out); }

    /** {@link #fromNchw} of the n images starting at x[xOff]. */
    static float[] fromNchw(float[] x, int xOff, int n, int c, int hw, float[] out) {
        Parallel.forEach(n * c, 64, bc -> {
            int b = bc / c, ch = bc % c;
            for (int s = 0; s < hw; s++) out[(b * hw + s) * c + ch] = x[xOff + bc * hw + s];
        });
        return out;
    }
}
