package io.flinkclip.model.nn;

/**
 * CLIP's symmetric contrastive loss for a batch pairing image i with text i:
 * L = s·Îᵀ-cosines with s = exp(logit_scale); loss = ½ (CE(L, diag) + CE(Lᵀ, diag)), cross-entropies averaged
 * over the batch. Computed in double; returns the loss and its gradients w.r.t. the unnormalised embeddings
 * and logit_scale.
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {}

    /**
     * @param logitsPerImage s·cos [n, n] (as float32, as the reference reports it)
     * @param dImage         d loss / d image features [n, d]
     * @param dText          d loss / d text features [n, d]
     */
    public record Result(double loss, float[] logitsPerImage, float[] dImage, float[] dText, float dLogitScale) {}

    /** @param img n image features [n, d]; @param txt n text features [n, d] (unnormalised, row-major) */
    public static Result compute(float[] img, float[] txt, int n, int d, float logitScale) {
        if (n < 1 || img.length != n * d || txt.length != n * d) {
            throw new IllegalArgumentException("need n ≥ 1 image and text features of " + d + " dims, got " + img.length + " and " + txt.length + " values for n=" + n);
        }
        double s = Math.exp(logitScale);
        double[] ni = new double[n * d], nt = new double[n * d], normI = normalise(img, ni, n, d), normT = normalise(txt, nt, n, d);
        double[] cos = new double[n * n], logits = new double[n * n];
        float[] logitsF = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double dot = 0;
            for (int k = 0; k < d; k++) dot += ni[i * d + k] * nt[j * d + k];
            cos[i * n + j] = dot;
            logits[i * n + j] = s * dot;
            logitsF[i * n + j] = (float) (s * dot);
        }
        // dLogits = ½/n · [(row softmax − I) + (column softmax − I)]
        double loss = 0;
        double[] dLogits = new double[n * n];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) max = Math.max(max, logits[i * n + j]);
            for (int j = 0; j < n; j++) sum += Math.exp(logits[i * n + j] - max);
            loss += max + Math.log(sum) - logits[i * n + i];
            for (int j = 0; j < n; j++) dLogits[i * n + j] += (Math.exp(logits[i * n + j] - max) / sum - (i == j ? 1 : 0)) * 0.5 / n;
        }
        for (int j = 0; j < n; j++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, logits[i * n + j]);
            for (int i = 0; i < n; i++) sum += Math.exp(logits[i * n + j] - max);
            loss += max + Math.log(sum) - logits[j * n + j];
            for (int i = 0; i < n; i++) dLogits[i * n + j] += (Math.exp(logits[i * n + j] - max) / sum - (i == j ? 1 : 0)) * 0.5 / n;
        }
        loss /= 2.0 * n;
        double dScale = 0;
        for (int i = 0; i < n * n; i++) dScale += dLogits[i] * cos[i];
        // d/d normalised features: dCos = s·dLogits; dÎ = dCos·T̂, dT̂ = dCosᵀ·Î
        double[] dNi = new double[n * d], dNt = new double[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double g = s * dLogits[i * n + j];
            for (int k = 0; k < d; k++) {
                dNi[i * d + k] += g * nt[j * d + k];
                dNt[j * d + k] += g * ni[i * d + k];
            }
        }
        return new Result(loss, logitsF, unnormalise(ni, dNi, normI, n, d), unnormalise(nt, dNt, normT, n, d), (float) (dScale * s));
    }

    private static double[] normalise(float[] x, double[] out, int n, int d) {
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double ss = 0;
            for (int k = 0; k < d; k++) ss += (double) x[i * d + k] * x[i * d + k];
            norms[i] = Math.sqrt(ss);
            for (int k = 0; k < d; k++) out[i * d + k] = x[i * d + k] / norms[i];
        }
        return norms;
    }

    /** Backward of x̂ = x/‖x‖: dx = (dx̂ − x̂ (x̂·dx̂)) / ‖x‖. */
    private static float[] unnormalise(double[] xhat, double[] dXhat, double[] norms, int n, int d) {
        float[] dx = new float[n * d];
        for (int i = 0; i < n; i++) {
            double dot = 0;
            for (int k = 0; k < d; k++) dot += xhat[i * d + k] * dXhat[i * d + k];
            for (int k = 0; k < d; k++) dx[i * d + k] = (float) ((dXhat[i * d + k] - xhat[i * d + k] * dot) / norms[i]);
        }
        return dx;
    }
}
