package io.flinkclip.flink;

/** A text with the key that identifies it downstream and in bad-record reports. */
public record TextRecord(String key, String text) {}
