package io.flinkclip.flink;

/** Emitted (side output) by each parallel operator instance when it has applied a control message. */
public record ControlApplied(int subtask, long version) {}
