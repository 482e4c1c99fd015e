package io.flinkclip.tasks.retrieval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recall@K for caption retrieval benchmarks where an image has several captions (Flickr30k, MSCOCO):
 * text→image counts a caption as found when its own image is among the top K images; image→text counts an
 * image as found when any one of its captions is among the top K captions.
 */
public final class RetrievalMetrics {
    public static final int[] STANDARD_KS = {1, 5, 10};

    /** Recall@K in both directions, keyed by K (in the order given). */
    public record Recall(Map<Integer, Double> textToImage, Map<Integer, Double> imageToText) {}

    private RetrievalMetrics() {}

    /** Fraction of queries whose top {@code k} hits contain at least one relevant id. */
    public static double recallAtK(List<List<SearchHit>> results, List<? extends Set<Integer>> relevant, int k) {
        if (results.size() != relevant.size()) throw new IllegalArgumentException(results.size() + " result lists for " + relevant.size() + " queries");
        if (results.isEmpty()) throw new IllegalArgumentException("no queries");
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        int hits = 0;
        for (int q = 0; q < results.size(); q++) {
            List<SearchHit> r = results.get(q);
            for (int i = 0; i < Math.min(k, r.size()); i++) {
                if (relevant.get(q).contains(r.get(i).id())) {
                    hits++;
                    break;
                }
            }
        }
        return hits / (double) results.size();
    }

    /**
     * @param imageEmbeddings one row per image
     * @param textEmbeddings one row per caption
     * @param imageOfText for each caption, the index of its image
     */
    public static Recall recall(float[][] imageEmbeddings, float[][] textEmbeddings, int[] imageOfText, int... ks) {
        if (imageEmbeddings.length == 0 || textEmbeddings.length == 0) throw new IllegalArgumentException("no images or no captions");
        if (imageOfText.length != textEmbeddings.length) throw new IllegalArgumentException(imageOfText.length + " image indices for " + textEmbeddings.length + " captions");
        if (ks.length == 0) ks = STANDARD_KS;
        int maxK = Arrays.stream(ks).max().orElseThrow();
        int dim = imageEmbeddings[0].length;
        List<Set<Integer>> imageRelevant = new ArrayList<>();
        List<Set<Integer>> captionsOf = new ArrayList<>();
        for (int i = 0; i < imageEmbeddings.length; i++) captionsOf.add(new java.util.HashSet<>());
        for (int t = 0; t < imageOfText.length; t++) {
            int img = imageOfText[t];
            if (img < 0 || img >= imageEmbeddings.length) throw new IllegalArgumentException("caption " + t + " points to image " + img + " of " + imageEmbeddings.length);
            imageRelevant.add(Set.of(img));
            captionsOf.get(img).add(t);
        }
        for (int i = 0; i < captionsOf.size(); i++) {
            if (captionsOf.get(i).isEmpty()) throw new IllegalArgumentException("image " + i + " has no caption");
        }
        EmbeddingIndex images = new EmbeddingIndex(dim), texts = new EmbeddingIndex(dim);
        images.addAll(imageEmbeddings);
        texts.addAll(textEmbeddings);
        List<List<SearchHit>> t2i = images.search(textEmbeddings, maxK), i2t = texts.search(imageEmbeddings, maxK);
        Map<Integer, Double> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        for (int k : ks) {
            a.put(k, recallAtK(t2i, imageRelevant, k));
            b.put(k, recallAtK(i2t, captionsOf, k));
        }
        return new Recall(a, b);
    }
}
