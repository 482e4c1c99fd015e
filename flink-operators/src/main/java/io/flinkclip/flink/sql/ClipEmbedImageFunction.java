package io.flinkclip.flink.sql;

import org.apache.flink.table.annotation.DataTypeHint;

/** {@code CLIP_EMBED_IMAGE(image BYTES)} → {@code ARRAY<FLOAT>}: the L2-normalised image embedding. */
public class ClipEmbedImageFunction extends ClipScalarFunction {
    public @DataTypeHint("ARRAY<FLOAT>") Float[] eval(byte[] image) {
        if (image == null) return null;
        float[] e = imageEmbedding(image);
        return e == null ? null : boxed(e);
    }
}
