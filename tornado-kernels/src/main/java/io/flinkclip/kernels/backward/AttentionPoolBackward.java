package io.flinkclip.kernels.backward;

/**
 * The pieces of CLIP's ResNet {@code AttentionPool2d} that are not ordinary layers. Its forward: tokens = [mean over
 * HW; the HW pixels] ([B, HW+1, C], from NCHW), + positional_embedding; q = only token 0 projected; k, v all tokens;
 * {@link AttentionBackward} with lq = 1 then c_proj. These functions run the reshapes backward.
 */
public final class AttentionPoolBackward {
    private AttentionPoolBackward() {}

    /** Forward helper: NCHW feature map → tokens [B, HW+1, C] with the spatial mean first (no positional add). */
    public static void tokens(float[] x, int n, int c, int hw, float[] tokens) {
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                double s = 0;
                int xo = (b * c + ch) * hw;
                for (int p = 0; p < hw; p++) {
                    float v = x[xo + p];
                    s += v;
                    tokens[(b * (hw + 1) + 1 + p) * c + ch] = v;
                }
                tokens[(b * (hw + 1)) * c + ch] = (float) (s / hw);
            }
        }
    }

    /** Backward of {@link #tokens}: each pixel gets its own token gradient plus 1/HW of the mean token's. Accumulates dx. */
    public static void tokensBackward(float[] dTokens, int n, int c, int hw, float[] dx) {
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                float dm = dTokens[(b * (hw + 1)) * c + ch] / hw;
                int xo = (b * c + ch) * hw;
                for (int p = 0; p < hw; p++) dx[xo + p] += dTokens[(b * (hw + 1) + 1 + p) * c + ch] + dm;
            }
        }
    }
}
