package io.flinkclip.kernels;

/**
 * Element-wise and row-wise layers of CLIP over flat buffers (forward). Shapes are passed explicitly;
 * offsets let callers address slices of a shared activation arena without copies.
 */
public final class Ops {
    private Ops() {}

    /** y[r,:] = (x[r,:] − mean) / sqrt(var + eps) · gamma + beta for each of {@code rows} rows of width {@code dim}. */
    public static void layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float[] y, int yOff, int rows, int dim, float eps) {
        Parallel.forEach(rows, 8, r -> {
            int xo = xOff + r * dim, yo = yOff + r * dim;
            double mean = 0;
            for (int i = 0; i < dim; i++) mean += x[xo + i];
            mean /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) { double d = x[xo + i] - mean; var += d * d; }
            var /= dim;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            float mu = (float) mean;
            for (int i = 0; i < dim; i++) y[yo + i] = (x[xo + i] - mu) * inv * gamma[i] + beta[i];
        });
    }

    /** In place: x · sigmoid(1.702 x), CLIP's QuickGELU. */
    public static void quickGelu(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) x[i] = (float) (x[i] / (1.0 + Math.exp(-1.702 * x[i])));
    }

    public static void relu(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) if (x[i] < 0) x[i] = 0;
    }

    /** y[i] += x[i]. */
    public static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += x[xOff + i];
    }

    /** Numerically stable softmax of each row, in place. */
    public static void softmaxRows(float[] x, int off, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int o = off + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < cols; i++) max = Math.max(max, x[o + i]);
            float sum = 0;
            for (int i = 0; i < cols; i++) { x[o + i] = (float) Math.exp(x[o + i] - max); sum += x[o + i]; }
            float inv = 1f / sum;
            for (int i = 0; i < cols; i++) x[o + i] *= inv;
        }
    }

    /**
     * Multi-head scaled dot-product attention. {@code qkv} holds, for each of the {@code batch·seq} tokens,
     * the concatenated [q | k | v] projections (width 3·dim); the result [batch·seq, dim] goes to {@code out}.
     * With {@code causal} token t attends to tokens ≤ t (the text encoder's mask).
     */
    public static void attention(float[] qkv, int qkvOff, float[] out, int outOff, int batch, int seq, int dim, int heads, boolean causal) {
        int hd = dim / heads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(batch * heads, 1, bh -> {
            int b = bh / heads, h = bh % heads;
            float[] scores = new float[seq];
            for (int t = 0; t < seq; t++) {
                int q = qkvOff + (b * seq + t) * 3 * dim + h * hd;
                int len = causal ? t + 1 : seq;
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < len; s++) {
                    int kk = qkvOff + (b * seq + s) * 3 * dim + dim + h * hd;
                    float dot = 0;
                    for (int i = 0; i < hd; i++) dot += qkv[q + i] * qkv[kk + i];
                    scores[s] = dot * scale;
                    max = Math.max(max, scores[s]);
                }
                float sum = 0;
                for (int s = 0; s < len; s++) { scores[s] = (float) Math.exp(scores[s] - max); sum += scores[s]; }
                int o = outOff + (b * seq + t) * dim + h * hd;
                for (int i = 0; i < hd; i++) out[o + i] = 0;
                for (int s = 0; s < len; s++) {
                    float p = scores[s] / sum;
                    int v = qkvOff + (b * seq + s) * 3 * dim + 2 * dim + h * hd;
                    for (int i = 0; i < hd; i++) out[o + i] += p * qkv[v + i];
                }
            }
        });
    }
}
