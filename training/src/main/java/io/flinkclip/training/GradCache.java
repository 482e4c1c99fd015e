package io.flinkclip.training;

import io.flinkclip.io.Tensor;

/**
 * Gradient accumulation that keeps the contrastive loss exact over the full batch (Gao et al., "Scaling Deep
 * Contrastive Learning Batch Size under Memory Limited Setup"): (1) embed every chunk without keeping activations,
 * (2) compute the full-batch loss and the gradient w.r.t. every embedding and logit_scale, (3) re-embed each chunk
 * keeping activations and backprop its slice of embedding gradients. Peak activation memory is one chunk; the
 * resulting gradients equal those of a single full-batch backward (up to float summation order).
 */
public final class GradCache {
    /** Outcome of one accumulated forward/backward: loss, logit scale used, and the full logits (row = image). */
    public record Result(double loss, float logitScale, float[][] logitsPerImage) {}

    private GradCache() {}

    /**
     * Zeroes the gradients, then fills {@link TrainableClip#gradients()} with d loss / d θ for the batch pairing
     * image i (pixels[i·per …]) with tokens[i]. {@code chunk} ≥ batch size means one plain pass.
     */
    public static Result lossAndGradients(TrainableClip model, float[] pixels, int[][] tokens, int chunk) {
        int n = tokens.length;
        if (n < 2) throw new IllegalArgumentException("a contrastive batch needs at least 2 pairs, got " + n);
        if (chunk < 1) throw new IllegalArgumentException("chunk size must be positive, got " + chunk);
        if (pixels.length % n != 0) throw new IllegalArgumentException(pixels.length + " pixel values do not split into " + n + " images");
        int per = pixels.length / n;
        int res = model.imageResolution();
        if (per != 3 * res * res) throw new IllegalArgumentException("images have " + per + " values each, expected 3·" + res + "²");
        Tensor scale = model.logitScale();
        float s = scale.scalar();
        model.zeroGrad();

        boolean single = chunk >= n;
        float[][] img = new float[n][], txt = new float[n][];
        for (int lo = 0; lo < n; lo += chunk) {
            int hi = Math.min(n, lo + chunk);
            copyRows(model.embedImages(slice(pixels, lo, hi, per), hi - lo, single), img, lo, hi, "image");
            copyRows(model.embedTexts(java.util.Arrays.copyOfRange(tokens, lo, hi), single), txt, lo, hi, "text");
        }
        ContrastiveLoss.Result loss = ContrastiveLoss.compute(img, txt, s, true);
        model.logitScaleGradient().data()[0] += (float) loss.dLogitScale();
        if (single) {
            model.backwardImages(loss.dImages());
            model.backwardTexts(loss.dTexts());
        } else {
            for (int lo = 0; lo < n; lo += chunk) {
                int hi = Math.min(n, lo + chunk);
                model.embedImages(slice(pixels, lo, hi, per), hi - lo, true);
                model.backwardImages(java.util.Arrays.copyOfRange(loss.dImages(), lo, hi));
                model.embedTexts(java.util.Arrays.copyOfRange(tokens, lo, hi), true);
                model.backwardTexts(java.util.Arrays.copyOfRange(loss.dTexts(), lo, hi));
            }
        }
        return new Result(loss.loss(), s, loss.logitsPerImage());
    }

    private static float[] slice(float[] pixels, int lo, int hi, int per) {
        if (lo == 0 && hi * per == pixels.length) return pixels; // the whole batch in one chunk: no copy
        return java.util.Arrays.copyOfRange(pixels, lo * per, hi * per);
    }

    private static void copyRows(float[][] src, float[][] dst, int lo, int hi, String tower) {
        if (src == null || src.length != hi - lo) {
            throw new IllegalStateException("the " + tower + " tower returned " + (src == null ? "null" : src.length + " embeddings")
                    + " for " + (hi - lo) + " inputs");
        }
        System.arraycopy(src, 0, dst, lo, src.length);
    }
}
