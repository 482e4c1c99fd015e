package io.flinkclip.flink.ml;

import java.io.Serializable;
import java.util.List;

/** Everything a predict function needs, fixed when the model is planned; serialized into the job. */
public record ClipPredictSpec(String modelLocation, ClipTask task, List<String> labels, List<String> templates,
                              int outputArity, int asyncThreads) implements Serializable {}
