package io.flinkclip.model.nn;

import io.flinkclip.kernels.Gemm;

/**
 * CLIP's symmetric InfoNCE loss for a batch pairing image i with text i. Features are L2-normalised, logits =
 * exp(logit_scale)·Î·T̂ᵀ, and the loss is the mean of the cross-entropies over rows (image → text) and over columns
 * (text → image) with the diagonal as labels. Gradients are taken w.r.t. the <b>unnormalised</b> features (what the
 * encoders output) and logit_scale. The three N×N×D products run through {@link Gemm} in float (~1e-7 relative);
 * normalisation, log-sum-exp and the loss are in double. The one implementation behind every trainer (CPU, device,
 * GradCache).
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {}

    /**
     * @param logitsPerImage exp(s)·cos [n, n] as float32, row i = image i against every text
     * @param dImage         d loss / d image features [n, d] (null when gradients were not requested)
     * @param dText          d loss / d text features [n, d]
     * @param dLogitScale    d loss / d logit_scale
     */
    public record Result(double loss, float[] logitsPerImage, float[] dImage, float[] dText, double dLogitScale) {}

    /** Loss and gradients; see {@link #compute(float[], float[], int, int, float, boolean)}. */
    public static Result compute(float[] img, float[] txt, int n, int d, float logitScale) { return compute(img, txt, n, d, logitScale, true); }

    /**
     * @param img n image features [n, d] (unnormalised, row-major); @param txt n text features [n, d]
     * @throws IllegalArgumentException on mismatched sizes, or a feature of zero or non-finite norm (named)
     */
    public static Result compute(float[] img, float[] txt, int n, int d, float logitScale, boolean gradients) {
        if (n < 1 || d < 1 || img.length != (long) n * d || txt.length != (long) n * d) {
            throw new IllegalArgumentException("need n ≥ 1 image and text features of " + d + " dims, got " + img.length + " and " + txt.length
                    + " values for n=" + n);
        }
        double[] iNorm = new double[n], tNorm = new double[n];
        double[] in = normalise(img, n, d, "image", iNorm), tn = normalise(txt, n, d, "text", tNorm);
        double scale = Math.exp(logitScale);
        float[] inF = toFloat(in), tnF = toFloat(tn), cos = new float[n * n];
        Gemm.nt(inF, 0, tnF, 0, null, cos, 0, n, n, d, false);
        double[] logits = new double[n * n];
        for (int i = 0; i < n * n; i++) logits[i] = scale * cos[i];
        // Log-sum-exp per row (image → text) and per column (text → image); probabilities are recomputed from them.
        double[] rowLse = new double[n], colLse = new double[n];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) max = Math.max(max, logits[i * n + j]);
            for (int j = 0; j < n; j++) sum += Math.exp(logits[i * n + j] - max);
            rowLse[i] = max + Math.log(sum);
        }
        for (int j = 0; j < n; j++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, logits[i * n + j]);
            for (int i = 0; i < n; i++) sum += Math.exp(logits[i * n + j] - max);
            colLse[j] = max + Math.log(sum);
        }
        double loss = 0;
        for (int i = 0; i < n; i++) loss += (rowLse[i] + colLse[i] - 2 * logits[i * n + i]) / (2.0 * n);
        float[] lf = toFloat(logits);
        if (!gradients) return new Result(loss, lf, null, null, 0);

        // dL/dlogits_ij = (P_row,ij + P_col,ij − 2δ_ij) / 2N; logits are linear in exp(s), so dL/ds = Σ g·logits.
        double dScale = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) dScale += grad(logits, rowLse, colLse, i, j, n) * logits[i * n + j];
        float[] g = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i * n + j] = (float) (scale * grad(logits, rowLse, colLse, i, j, n));
        float[] dIn = new float[n * d], dTn = new float[n * d];
        Gemm.nn(g, 0, tnF, 0, dIn, 0, n, d, n, false);   // dÎ = s·G·T̂
        Gemm.tn(g, 0, inF, 0, dTn, 0, n, d, n, false);   // dT̂ = s·Gᵀ·Î
        return new Result(loss, lf, normaliseBackward(in, iNorm, dIn, n, d), normaliseBackward(tn, tNorm, dTn, n, d), dScale);
    }

    private static double grad(double[] logits, double[] rowLse, double[] colLse, int i, int j, int n) {
        double l = logits[i * n + j];
        return (Math.exp(l - rowLse[i]) + Math.exp(l - colLse[j]) - (i == j ? 2 : 0)) / (2.0 * n);
    }

    /** Rows of x divided by their L2 norms (kept in {@code norms}), in double. */
    private static double[] normalise(float[] x, int n, int d, String what, double[] norms) {
        double[] out = new double[n * d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += (double) x[i * d + k] * x[i * d + k];
            double norm = Math.sqrt(s);
            if (!(norm > 0) || !Double.isFinite(norm)) {
                throw new IllegalArgumentException(what + " embedding " + i + " has norm " + norm + "; cannot normalise");
            }
            norms[i] = norm;
            for (int k = 0; k < d; k++) out[i * d + k] = x[i * d + k] / norm;
        }
        return out;
    }

    /** x̂ = x/‖x‖ ⇒ dx = (dx̂ − x̂·⟨x̂, dx̂⟩)/‖x‖, row by row. */
    private static float[] normaliseBackward(double[] xhat, double[] norms, float[] dXhat, int n, int d) {
        float[] dx = new float[n * d];
        for (int i = 0; i < n; i++) {
            double p = 0;
            for (int k = 0; k < d; k++) p += xhat[i * d + k] * dXhat[i * d + k];
            for (int k = 0; k < d; k++) dx[i * d + k] = (float) ((dXhat[i * d + k] - xhat[i * d + k] * p) / norms[i]);
        }
        return dx;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }
}
