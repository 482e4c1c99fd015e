package io.flinkclip.model;

/** Text → CLIP token ids: SOT, byte-level BPE ids, EOT, zero padding to {@code contextLength}. */
public interface TextTokenizer {
    /** Truncates over-long texts to {@code contextLength} with the last id forced to EOT (OpenAI's truncate=True). */
    int[] tokenize(String text, int contextLength);
}
