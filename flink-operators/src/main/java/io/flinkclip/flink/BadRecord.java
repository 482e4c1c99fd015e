package io.flinkclip.flink;

/** A record that could not be processed (side output); the job goes on. */
public record BadRecord(String key, String reason) {}
