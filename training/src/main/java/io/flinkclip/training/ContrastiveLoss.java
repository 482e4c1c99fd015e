package io.flinkclip.training;

import io.flinkclip.kernels.Parallel;

/**
 * CLIP's symmetric InfoNCE loss. Embeddings are L2-normalised, logits = exp(s)·Î·T̂ᵀ, and the loss is the mean of the
 * cross-entropy over rows (image → text) and over columns (text → image) with the diagonal as labels. Gradients are
 * taken w.r.t. the <b>unnormalised</b> embeddings (what the encoders output) and w.r.t. s = logit_scale. Everything
 * past the inputs is computed in double; the only N² buffer is the logits (8·N² bytes).
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
        double[][] logits = new double[n][n];
        Parallel.forEach(n, 16, i -> {
            for (int j = 0; j < n; j++) logits[i][j] = scale * dot(in[i], tn[j]);
        });
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
        float[][] dImg = new float[n][], dTxt = new float[n][];
        Parallel.forEach(n, 4, i -> {
            double[] dIn = new double[d];
            for (int j = 0; j < n; j++) {
                double gij = scale * grad(logits, rowLse, colLse, i, j, n);
                for (int k = 0; k < d; k++) dIn[k] += gij * tn[j][k];
            }
            dImg[i] = normaliseBackward(in[i], iNorm[i], dIn);
        });
        Parallel.forEach(n, 4, j -> {
            double[] dTn = new double[d];
            for (int i = 0; i < n; i++) {
                double gij = scale * grad(logits, rowLse, colLse, i, j, n);
                for (int k = 0; k < d; k++) dTn[k] += gij * in[i][k];
            }
            dTxt[j] = normaliseBackward(tn[j], tNorm[j], dTn);
        });
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

    /** x̂ = x/‖x‖ ⇒ dx = (dx̂ − x̂·⟨x̂, dx̂⟩)/‖x‖. */
    private static float[] normaliseBackward(double[] xhat, double norm, double[] dxhat) {
        double p = dot(xhat, dxhat);
        float[] dx = new float[xhat.length];
        for (int k = 0; k < xhat.length; k++) dx[k] = (float) ((dxhat[k] - xhat[k] * p) / norm);
        return dx;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) s += a[k] * b[k];
        return s;
    }
}
