package io.flinkclip.training.job;

import io.flinkclip.training.ClipTrainer;

import java.io.Serializable;

/**
 * Everything the training job needs besides the dataset and the model factory.
 *
 * @param epochs          passes over the dataset; ≤ 0 = unbounded (stops training at the schedule's total steps)
 * @param splitSize       dataset positions per source split (smaller = finer reassignment, more permutation work)
 * @param cropScaleMin    RandomResizedCrop area range (open_clip default 0.9 … 1.0)
 * @param outputDir       model files, metrics.csv and the report go here
 * @param saveEverySteps  write {@code model-step-N.safetensors} every N steps (0 = only the final model)
 * @param listener        optional per-step hook (may be null)
 */
public record TrainingConfig(int batchSize, long epochs, long seed, boolean shuffle, int splitSize, int decodeParallelism,
                             int imageResolution, int contextLength, double cropScaleMin, double cropScaleMax,
                             ClipTrainer.Options trainer, String outputDir, long saveEverySteps, StepListener listener)
        implements Serializable {
    public TrainingConfig {
        if (batchSize < 2) throw new IllegalArgumentException("batch size must be at least 2, got " + batchSize);
        if (decodeParallelism < 1 || splitSize < 1) throw new IllegalArgumentException("decode parallelism and split size must be positive");
        if (!(cropScaleMin > 0 && cropScaleMin <= cropScaleMax && cropScaleMax <= 1)) {
            throw new IllegalArgumentException("crop scale range must satisfy 0 < min ≤ max ≤ 1, got " + cropScaleMin + " … " + cropScaleMax);
        }
        if (outputDir == null || outputDir.isBlank()) throw new IllegalArgumentException("an output directory is required");
    }
}
