package io.flinkclip.tasks.eval;

/**
 * Options shared by the evaluations.
 *
 * @param batchSize images or texts encoded per model call
 * @param modelId key for the class-embedding cache (e.g. the model directory); any stable string
 * @param progress draw a progress bar on stderr when a terminal is attached
 * @param limit evaluate only the first {@code limit} samples (0 = all), for quick checks
 */
public record EvalOptions(int batchSize, String modelId, boolean progress, int limit) {
    public EvalOptions {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        if (limit < 0) throw new IllegalArgumentException("limit must not be negative, got " + limit);
        if (modelId == null) throw new IllegalArgumentException("modelId is null");
    }

    public static EvalOptions defaults(String modelId) { return new EvalOptions(32, modelId, true, 0); }

    public EvalOptions withLimit(int n) { return new EvalOptions(batchSize, modelId, progress, n); }

    public EvalOptions withBatchSize(int n) { return new EvalOptions(n, modelId, progress, limit); }

    public EvalOptions quiet() { return new EvalOptions(batchSize, modelId, false, limit); }
}
