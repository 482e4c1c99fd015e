package io.flinkclip.training.job;

import io.flinkclip.model.TextTokenizer;
import io.flinkclip.training.TrainableClip;

import java.io.Serializable;

/**
 * How the job's operators obtain the model and tokenizer on the task managers. {@link #createModel()} must be
 * deterministic (same initial weights every call): a restored trainer overwrites them from its checkpoint, but an
 * uninterrupted run and a run restarted before its first checkpoint must start from the same point.
 */
public interface TrainingModelFactory extends Serializable {
    TrainableClip createModel();

    TextTokenizer createTokenizer();
}
