package io.flinkclip.flink;

/** An encoded image (PNG, JPEG, ...) with the key that identifies it downstream and in bad-record reports. */
public record ImageRecord(String key, byte[] image) {}
