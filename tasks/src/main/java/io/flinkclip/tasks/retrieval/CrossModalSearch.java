package io.flinkclip.tasks.retrieval;

import io.flinkclip.model.Clip;

import java.util.List;

/** Text→image and image→text search with a CLIP model over an {@link EmbeddingIndex} of the other modality. */
public final class CrossModalSearch {
    private CrossModalSearch() {}

    /** Builds an index over encoded images, embedding {@code batchSize} at a time; ids follow list order. */
    public static EmbeddingIndex indexImages(Clip clip, List<byte[]> images, int batchSize) {
        EmbeddingIndex index = new EmbeddingIndex(clip.embedDim());
        for (int i = 0; i < images.size(); i += batchSize) {
            index.addAll(clip.embedImages(images.subList(i, Math.min(images.size(), i + batchSize))));
        }
        return index;
    }

    /** Builds an index over texts; ids follow list order. */
    public static EmbeddingIndex indexTexts(Clip clip, List<String> texts, int batchSize) {
        EmbeddingIndex index = new EmbeddingIndex(clip.embedDim());
        for (int i = 0; i < texts.size(); i += batchSize) {
            index.addAll(clip.embedTexts(texts.subList(i, Math.min(texts.size(), i + batchSize))));
        }
        return index;
    }

    /** For each text query, the {@code k} best images of {@code imageIndex}. */
    public static List<List<SearchHit>> textToImage(Clip clip, EmbeddingIndex imageIndex, List<String> queries, int k) {
        return imageIndex.search(clip.embedTexts(queries), k);
    }

    /** For each image query, the {@code k} best texts of {@code textIndex}. */
    public static List<List<SearchHit>> imageToText(Clip clip, EmbeddingIndex textIndex, List<byte[]> queries, int k) {
        return textIndex.search(clip.embedImages(queries), k);
    }
}
