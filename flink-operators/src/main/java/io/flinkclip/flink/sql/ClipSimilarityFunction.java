package io.flinkclip.flink.sql;

import io.flinkclip.flink.ClipScoring;

/** {@code CLIP_SIMILARITY(image BYTES, text STRING)} → {@code FLOAT}: cosine similarity in [-1, 1]. */
public class ClipSimilarityFunction extends ClipScalarFunction {
    public Float eval(byte[] image, String text) {
        if (image == null || text == null) return null;
        float[] t = textEmbedding(text);
        if (t == null) return null;
        float[] i = imageEmbedding(image);
        return i == null ? null : ClipScoring.dot(i, t);
    }
}
