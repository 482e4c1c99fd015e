package io.flinkclip.flink;

/**
 * Zero-shot result: the best label, its probability, the top-k labels best first, and the version of the
 * control state (label set) it was computed with (0 = the label set configured in the job).
 */
public record Classification(String key, String label, float score, LabelScore[] top, long controlVersion) {}
