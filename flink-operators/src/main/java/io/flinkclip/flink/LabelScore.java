package io.flinkclip.flink;

/** A class label with its zero-shot probability. */
public record LabelScore(String label, float score) {}
