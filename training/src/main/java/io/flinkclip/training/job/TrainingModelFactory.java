package io.flinkclip.training.job;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.model.TextTokenizer;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.TrainableClip;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * How the job's operators obtain the model and tokenizer on the task managers. {@link #createModel()} must be
 * deterministic (same initial weights every call): a restored trainer overwrites them from its checkpoint, but an
 * uninterrupted run and a run restarted before its first checkpoint must start from the same point.
 */
public interface TrainingModelFactory extends Serializable {
    TrainableClip createModel();

    TextTokenizer createTokenizer();

    /** File name ending of {@link #writeModel} output. */
    default String modelFileSuffix() { return ".safetensors"; }

    /**
     * Writes the trainer's model to {@code file} (the caller moves it into place). Default: parameters and buffers
     * as safetensors.
     *
     * @param nextPairIndex the first training pair index not yet consumed (data position, for the file's training state)
     */
    default void writeModel(ClipTrainer trainer, long nextPairIndex, Path file) throws IOException {
        SafeTensors.write(file, trainer.modelState());
    }
}
