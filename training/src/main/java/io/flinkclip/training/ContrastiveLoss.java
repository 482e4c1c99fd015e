package io.flinkclip.training;

/**
 * CLIP's symmetric InfoNCE loss over embeddings as rows ({@code float[n][d]}), the form {@link GradCache} gathers
 * chunk by chunk: an adapter over the one implementation, {@link io.flinkclip.model.nn.ContrastiveLoss} (normalised
 * features, logits = exp(s)·Î·T̂ᵀ, mean of the row and column cross-entropies; gradients w.r.t. the unnormalised
 * embeddings and s = logit_scale).
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
        io.flinkclip.model.nn.ContrastiveLoss.Result r = io.flinkclip.model.nn.ContrastiveLoss.compute(
                flat(images, d, "image"), flat(texts, d, "text"), n, d, logitScale, gradients);
        return new Result(r.loss(), ClipModelTrainable.rows(r.logitsPerImage(), n, n), gradients ? ClipModelTrainable.rows(r.dImage(), n, d) : null,
                gradients ? ClipModelTrainable.rows(r.dText(), n, d) : null, r.dLogitScale());
    }

    private static float[] flat(float[][] rows, int d, String what) {
        float[] f = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) throw new IllegalArgumentException(what + " embedding " + i + " has " + rows[i].length + " values, expected " + d);
            System.arraycopy(rows[i], 0, f, i * d, d);
        }
        return f;
    }
}
