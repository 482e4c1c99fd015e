package io.flinkclip.training;

import io.flinkclip.kernels.Gemm;

/**
 * CLIP's symmetric InfoNCE loss. Embeddings are L2-normalised, logits = exp(s)·Î·T̂ᵀ, and the loss is the mean of the
 * cross-entropy over rows (image → text) and over columns (text → image) with the diagonal as labels. Gradients are
 * taken w.r.t. the <b>unnormalised</b> embeddings (what the encoders output) and w.r.t. s = logit_scale. The two
 * N×N×D matrix products run through {@link Gemm} in float; normalisation, log-sum-exp and the loss are in double.
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {}

    /**
     * @param logitsPerImage [N][N] logits, row i = image i against every text
     * @param dImages        d loss / d image embedding (null when gradients were not requested)
     * @param dLogitScale    d loss / d logit_scale
     */
    public record Result(double loss, float[][] logitsPerImage, float[][] dImages, float[][] dTexts, double dLogitScale) {}

    public static Result compute(float[][] images, float[][] texts, float logitScale, boolean gradients) {
        int n = images.length;
        if (n == 0 || texts.length != n) {
            throw new IllegalArgumentException("need the same positive number of images and texts, got " + n + " and " + texts.length);
        }
        int d = images[0].length;
        double[][] in = new double[n][], tn = new double[n][];
        double[] iNorm = new double[n], tNorm = new double[n];
        for (int i = 0; i < n; i++) {
            in[i] = normalise(images[i], d, "image", i, iNorm, i);
            tn[i] = normalise(texts[i], d, "text", i, tNorm, i);
        }
        double scale = Math.exp(logitScale);
        // The N²·D products go through Gemm (float, ~1e-7 relative); normalisation, softmax and loss stay in double.
        float[] inF = flat(in, d), tnF = flat(tn, d), cos = new float[n * n];
        Gemm.nt(inF, 0, tnF, 0, null, cos, 0, n, n, d, false);
        double[][] logits = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) logits[i][j] = scale * cos[i * n + j];
        // Log-sum-exp per row (image → text) and per column (text → image); probabilities are recomputed from them
        // on the fly, so the only N² buffer is the logits.
        double[] rowLse = new double[n], colLse = new double[n];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) max = Math.max(max, logits[i][j]);
            for (int j = 0; j < n; j++) sum += Math.exp(logits[i][j] - max);
            rowLse[i] = max + Math.log(sum);
        }
        for (int j = 0; j < n; j++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, logits[i][j]);
            for (int i = 0; i < n; i++) sum += Math.exp(logits[i][j] - max);
            colLse[j] = max + Math.log(sum);
        }
        double loss = 0;
        for (int i = 0; i < n; i++) loss += (rowLse[i] + colLse[i] - 2 * logits[i][i]) / (2.0 * n);
        float[][] lf = new float[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) lf[i][j] = (float) logits[i][j];
        if (!gradients) return new Result(loss, lf, null, null, 0);

        // dL/dlogits_ij = (P_row,ij + P_col,ij − 2δ_ij) / 2N; logits are linear in exp(s), so dL/ds = Σ g·logits.
        double dScale = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) dScale += grad(logits, rowLse, colLse, i, j, n) * logits[i][j];
        float[] g = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i * n + j] = (float) (scale * grad(logits, rowLse, colLse, i, j, n));
        float[] dIn = new float[n * d], dTn = new float[n * d];
        Gemm.nn(g, 0, tnF, 0, dIn, 0, n, d, n, false);   // dÎ = s·G·T̂
        Gemm.tn(g, 0, inF, 0, dTn, 0, n, d, n, false);   // dT̂ = s·Gᵀ·Î
        float[][] dImg = new float[n][], dTxt = new float[n][];
        for (int i = 0; i < n; i++) {
            dImg[i] = normaliseBackward(in[i], iNorm[i], dIn, i * d);
            dTxt[i] = normaliseBackward(tn[i], tNorm[i], dTn, i * d);
        }
        return new Result(loss, lf, dImg, dTxt, dScale);
    }

    private static double grad(double[][] logits, double[] rowLse, double[] colLse, int i, int j, int n) {
        double l = logits[i][j];
        return (Math.exp(l - rowLse[i]) + Math.exp(l - colLse[j]) - (i == j ? 2 : 0)) / (2.0 * n);
    }

    private static double[] normalise(float[] v, int d, String what, int i, double[] norms, int at) {
        if (v.length != d) throw new IllegalArgumentException(what + " embedding " + i + " has " + v.length + " values, expected " + d);
        double s = 0;
        for (float x : v) s += (double) x * x;
        double norm = Math.sqrt(s);
        if (!(norm > 0) || !Double.isFinite(norm)) {
            throw new IllegalArgumentException(what + " embedding " + i + " has norm " + norm + "; cannot normalise");
        }
        norms[at] = norm;
        double[] out = new double[d];
        for (int k = 0; k < d; k++) out[k] = v[k] / norm;
        return out;
    }

    /** x̂ = x/‖x‖ ⇒ dx = (dx̂ − x̂·⟨x̂, dx̂⟩)/‖x‖, with dx̂ at dxhat[off …]. */
    private static float[] normaliseBackward(double[] xhat, double norm, float[] dxhat, int off) {
        double p = 0;
        for (int k = 0; k < xhat.length; k++) p += xhat[k] * dxhat[off + k];
        float[] dx = new float[xhat.length];
        for (int k = 0; k < xhat.length; k++) dx[k] = (float) ((dxhat[off + k] - xhat[k] * p) / norm);
        return dx;
    }

    private static float[] flat(double[][] rows, int d) {
        float[] f = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) for (int k = 0; k < d; k++) f[i * d + k] = (float) rows[i][k];
        return f;
    }

}
