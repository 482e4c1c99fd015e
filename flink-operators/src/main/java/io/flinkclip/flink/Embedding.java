package io.flinkclip.flink;

/** An L2-normalised CLIP embedding (dot product = cosine similarity). */
public record Embedding(String key, float[] vector) {}
