package io.flinkclip.flink;

import io.flinkclip.model.Clip;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Zero-shot arithmetic over a {@link Clip}: prompt ensembles, softmax over scaled cosines, top-k. */
public final class ClipScoring {
    private ClipScoring() {}

    /**
     * One normalised embedding per label: each template ("a photo of a {}.") filled with the label, embedded,
     * normalised and averaged, then normalised again (OpenAI's prompt ensembling). No templates = the label
     * text itself. All prompts go through the encoder in one batch.
     */
    public static float[][] classEmbeddings(Clip clip, List<String> labels, List<String> templates) {
        if (labels.isEmpty()) throw new IllegalArgumentException("no labels");
        List<String> prompts = templates.isEmpty() ? List.of("{}") : templates;
        List<String> texts = new ArrayList<>(labels.size() * prompts.size());
        for (String label : labels) for (String t : prompts) texts.add(t.replace("{}", label));
        float[][] emb = clip.embedTexts(texts);
        float[][] out = new float[labels.size()][];
        for (int l = 0; l < labels.size(); l++) {
            float[] sum = new float[emb[0].length];
            for (int p = 0; p < prompts.size(); p++) {
                float[] e = Clip.normalize(emb[l * prompts.size() + p]);
                for (int i = 0; i < sum.length; i++) sum[i] += e[i];
            }
            out[l] = Clip.normalize(sum);
        }
        return out;
    }

    public static float dot(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("embedding sizes differ: " + a.length + " vs " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return (float) s;
    }

    /** Softmax over temperature · cosine; {@code image} must be normalised. */
    public static float[] probabilities(float[] image, float[][] classes, float temperature) {
        double[] logits = new double[classes.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes.length; c++) {
            logits[c] = temperature * dot(image, classes[c]);
            max = Math.max(max, logits[c]);
        }
        double sum = 0;
        for (int c = 0; c < logits.length; c++) sum += logits[c] = Math.exp(logits[c] - max);
        float[] p = new float[logits.length];
        for (int c = 0; c < p.length; c++) p[c] = (float) (logits[c] / sum);
        return p;
    }

    /** The k most probable labels, best first (ties keep label order). */
    public static LabelScore[] top(List<String> labels, float[] probs, int k) {
        Integer[] order = new Integer[probs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Float.compare(probs[y], probs[x]));
        LabelScore[] out = new LabelScore[Math.min(Math.max(k, 1), probs.length)];
        for (int i = 0; i < out.length; i++) out[i] = new LabelScore(labels.get(order[i]), probs[order[i]]);
        return out;
    }
}
