package io.flinkclip.flink;

/** Alert: an image whose cosine similarity to a standing text query reached the query's threshold. */
public record QueryMatch(String key, String queryId, String query, float similarity, long controlVersion) {}
