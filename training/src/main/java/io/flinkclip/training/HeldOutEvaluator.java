package io.flinkclip.training;

import java.util.Arrays;

/**
 * Held-out image → text retrieval accuracy: each image picks the most similar text (cosine) among all held-out
 * texts; it counts as correct when that text's tokens equal its own caption's (so duplicate captions, as in
 * class-templated datasets, are all right answers — this is then zero-shot classification accuracy).
 * Embeds without keeping activations, so it leaves training state untouched.
 */
public final class HeldOutEvaluator {
    private final float[] pixels;
    private final int[][] tokens;
    private final int chunk;

    public HeldOutEvaluator(float[] pixels, int[][] tokens, int chunk) {
        if (tokens.length == 0) throw new IllegalArgumentException("held-out set is empty");
        if (pixels.length % tokens.length != 0) throw new IllegalArgumentException("pixels do not split into " + tokens.length + " images");
        this.pixels = pixels;
        this.tokens = tokens;
        this.chunk = Math.max(1, chunk);
    }

    public double accuracy(TrainableClip model) {
        int n = tokens.length, per = pixels.length / n;
        float[][] img = new float[n][], txt = new float[n][];
        for (int lo = 0; lo < n; lo += chunk) {
            int hi = Math.min(n, lo + chunk);
            System.arraycopy(model.embedImages(Arrays.copyOfRange(pixels, lo * per, hi * per), hi - lo, false), 0, img, lo, hi - lo);
            System.arraycopy(model.embedTexts(Arrays.copyOfRange(tokens, lo, hi), false), 0, txt, lo, hi - lo);
        }
        for (int i = 0; i < n; i++) { normalise(img[i]); normalise(txt[i]); }
        int correct = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bestSim = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < img[i].length; k++) s += (double) img[i][k] * txt[j][k];
                if (s > bestSim) { bestSim = s; best = j; }
            }
            if (Arrays.equals(tokens[best], tokens[i])) correct++;
        }
        return (double) correct / n;
    }

    private static void normalise(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        double inv = 1 / Math.max(Math.sqrt(s), 1e-12);
        for (int k = 0; k < v.length; k++) v[k] = (float) (v[k] * inv);
    }
}
