package io.flinkclip.training.job;

import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.data.PairDataset;

import java.io.Serializable;

/**
 * Everything the training job needs besides the training dataset and the model factory; build with {@link #builder}.
 *
 * @param epochs          passes over the dataset; ≤ 0 = unbounded (training stops at the schedule's total steps)
 * @param splitSize       dataset positions per source split (smaller = finer reassignment, more permutation work)
 * @param cropScaleMin    RandomResizedCrop area range (open_clip default 0.9 … 1.0)
 * @param outputDir       model files, metrics.csv and the report PNGs go here
 * @param saveEverySteps  write {@code model-step-N.safetensors} every N steps (0 = only the final model)
 * @param heldOut         optional held-out pairs (first {@code heldOutLimit}) for accuracy every {@code evalEverySteps}
 * @param listener        optional per-step hook (may be null)
 */
public record TrainingConfig(int batchSize, long epochs, long seed, boolean shuffle, int splitSize, int decodeParallelism,
                             int imageResolution, int contextLength, double cropScaleMin, double cropScaleMax,
                             ClipTrainer.Options trainer, String outputDir, long saveEverySteps,
                             PairDataset heldOut, int heldOutLimit, long evalEverySteps, StepListener listener)
        implements Serializable {
    public TrainingConfig {
        if (batchSize < 2) throw new IllegalArgumentException("batch size must be at least 2, got " + batchSize);
        if (decodeParallelism < 1 || splitSize < 1) throw new IllegalArgumentException("decode parallelism and split size must be positive");
        if (imageResolution < 1 || contextLength < 2) throw new IllegalArgumentException("bad resolution " + imageResolution + " or context length " + contextLength);
        if (!(cropScaleMin > 0 && cropScaleMin <= cropScaleMax && cropScaleMax <= 1)) {
            throw new IllegalArgumentException("crop scale range must satisfy 0 < min ≤ max ≤ 1, got " + cropScaleMin + " … " + cropScaleMax);
        }
        if (outputDir == null || outputDir.isBlank()) throw new IllegalArgumentException("an output directory is required");
        if (trainer == null) throw new IllegalArgumentException("trainer options are required");
    }

    public static Builder builder(ClipTrainer.Options trainer, String outputDir, int imageResolution, int contextLength) {
        return new Builder(trainer, outputDir, imageResolution, contextLength);
    }

    /** Defaults: batch 256, 1 epoch, seed 0, shuffled, one split per epoch, 2 decoders, crop scale 0.9–1.0. */
    public static final class Builder {
        private final ClipTrainer.Options trainer;
        private final String outputDir;
        private final int resolution, context;
        private int batchSize = 256, splitSize = Integer.MAX_VALUE, decodeParallelism = 2, heldOutLimit = 1000;
        private long epochs = 1, seed, saveEverySteps, evalEverySteps;
        private boolean shuffle = true;
        private double cropMin = 0.9, cropMax = 1.0;
        private PairDataset heldOut;
        private StepListener listener;

        private Builder(ClipTrainer.Options trainer, String outputDir, int resolution, int context) {
            this.trainer = trainer;
            this.outputDir = outputDir;
            this.resolution = resolution;
            this.context = context;
        }

        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder epochs(long v) { epochs = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder shuffle(boolean v) { shuffle = v; return this; }
        public Builder splitSize(int v) { splitSize = v; return this; }
        public Builder decodeParallelism(int v) { decodeParallelism = v; return this; }
        public Builder cropScale(double min, double max) { cropMin = min; cropMax = max; return this; }
        public Builder saveEverySteps(long v) { saveEverySteps = v; return this; }
        public Builder heldOut(PairDataset data, int limit, long everySteps) { heldOut = data; heldOutLimit = limit; evalEverySteps = everySteps; return this; }
        public Builder listener(StepListener v) { listener = v; return this; }

        public TrainingConfig build() {
            return new TrainingConfig(batchSize, epochs, seed, shuffle, splitSize, decodeParallelism, resolution, context,
                    cropMin, cropMax, trainer, outputDir, saveEverySteps, heldOut, heldOutLimit, evalEverySteps, listener);
        }
    }
}
