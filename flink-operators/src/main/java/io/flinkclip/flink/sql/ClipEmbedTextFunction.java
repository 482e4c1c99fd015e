package io.flinkclip.flink.sql;

import org.apache.flink.table.annotation.DataTypeHint;

/** {@code CLIP_EMBED_TEXT(text STRING)} → {@code ARRAY<FLOAT>}: the L2-normalised text embedding. */
public class ClipEmbedTextFunction extends ClipScalarFunction {
    public @DataTypeHint("ARRAY<FLOAT>") Float[] eval(String text) {
        if (text == null) return null;
        float[] e = textEmbedding(text);
        return e == null ? null : boxed(e);
    }
}
