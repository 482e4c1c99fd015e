package io.flinkclip.tasks.zeroshot;

import java.util.List;

/** Texts → (unnormalised) text embeddings, one row per text; {@code Clip::embedTexts} is one. */
@FunctionalInterface
public interface TextEmbedder {
    float[][] embed(List<String> texts);
}
