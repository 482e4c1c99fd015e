package io.flinkclip.training;

/**
 * CLIP's symmetric InfoNCE loss. Embeddings are L2-normalised, logits = exp(s)·Î·T̂ᵀ, and the loss is the mean of the
 * cross-entropy over rows (image → text) and over columns (text → image) with the diagonal as labels. Gradients are
 * taken w.r.t. the <b>unnormalised</b> embeddings (what the encoders output) and w.r.t. s = logit_scale. Everything
 * past the inputs is computed in double; the batch is at most a few thousand pairs, so the N² logits are cheap.
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
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) logits[i][j] = scale * dot(in[i], tn[j]);

        // Row softmax (image → text) and column softmax (text → image), each with its log-sum-exp.
        double[][] pr = new double[n][n], pc = new double[n][n];
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, logits[i][j]);
            double sum = 0;
            for (int j = 0; j < n; j++) sum += Math.exp(logits[i][j] - max);
            for (int j = 0; j < n; j++) pr[i][j] = Math.exp(logits[i][j] - max) / sum;
            loss += (max + Math.log(sum) - logits[i][i]) / (2.0 * n);
        }
        for (int j = 0; j < n; j++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) max = Math.max(max, logits[i][j]);
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.exp(logits[i][j] - max);
            for (int i = 0; i < n; i++) pc[i][j] = Math.exp(logits[i][j] - max) / sum;
            loss += (max + Math.log(sum) - logits[j][j]) / (2.0 * n);
        }
        float[][] lf = new float[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) lf[i][j] = (float) logits[i][j];
        if (!gradients) return new Result(loss, lf, null, null, 0);

        // dL/dlogits = (P_row − I + P_col − I) / 2N.
        double[][] g = new double[n][n];
        double dScale = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            g[i][j] = (pr[i][j] + pc[i][j] - (i == j ? 2 : 0)) / (2.0 * n);
            dScale += g[i][j] * logits[i][j];   // logits are linear in exp(s): d/ds = logits
        }
        float[][] dImg = new float[n][], dTxt = new float[n][];
        for (int i = 0; i < n; i++) {
            double[] dIn = new double[d], dTn = new double[d];
            for (int j = 0; j < n; j++) {
                double gij = scale * g[i][j], gji = scale * g[j][i];
                for (int k = 0; k < d; k++) { dIn[k] += gij * tn[j][k]; dTn[k] += gji * in[j][k]; }
            }
            dImg[i] = normaliseBackward(in[i], iNorm[i], dIn);
            dTxt[i] = normaliseBackward(tn[i], tNorm[i], dTn);
        }
        return new Result(loss, lf, dImg, dTxt, dScale);
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
