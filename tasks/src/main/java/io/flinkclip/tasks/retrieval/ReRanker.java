package io.flinkclip.tasks.retrieval;

import io.flinkclip.model.Clip;
import io.flinkclip.tasks.Vectors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Orders candidates against one query by CLIP similarity — the DALL·E use: score N generated images against
 * the prompt and keep the best. Works in both directions (one prompt vs images, one image vs texts).
 */
public final class ReRanker {
    /**
     * @param index the candidate's position in the input list
     * @param score cosine similarity
     * @param logit exp(logit_scale) · cosine
     * @param probability softmax of the logits over the candidates
     */
    public record Ranked(int index, float score, float logit, double probability) {}

    private ReRanker() {}

    /** The images, best match for {@code prompt} first. */
    public static List<Ranked> rankImages(Clip clip, String prompt, List<byte[]> images) {
        if (images.isEmpty()) return List.of();
        return rank(clip.embedTexts(List.of(prompt))[0], clip.embedImages(images), clip.temperature());
    }

    /** The texts, best description of {@code image} first. */
    public static List<Ranked> rankTexts(Clip clip, byte[] image, List<String> texts) {
        if (texts.isEmpty()) return List.of();
        return rank(clip.embedImages(List.of(image))[0], clip.embedTexts(texts), clip.temperature());
    }

    /** Core ranking over (unnormalised) embeddings; equal scores keep input order. */
    public static List<Ranked> rank(float[] query, float[][] candidates, float temperature) {
        float[] q = Vectors.normalized(query);
        float[] logits = new float[candidates.length], scores = new float[candidates.length];
        for (int i = 0; i < candidates.length; i++) {
            Vectors.requireDim(candidates[i], q.length, "candidate " + i);
            scores[i] = (float) Vectors.dot(q, Vectors.normalized(candidates[i]));
            logits[i] = temperature * scores[i];
        }
        double[] p = Vectors.softmax(logits);
        List<Ranked> out = new ArrayList<>(candidates.length);
        for (int i = 0; i < candidates.length; i++) out.add(new Ranked(i, scores[i], logits[i], p[i]));
        out.sort(Comparator.comparingDouble((Ranked r) -> -r.score()).thenComparingInt(Ranked::index));
        return out;
    }
}
