package io.flinkclip.io.nativefmt;

import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;

/**
 * Everything a native model file holds: architecture, OpenAI-named weights and, optionally, preprocessing,
 * tokenizer vocabulary, provenance and training state. Optional parts are null when absent.
 */
public record NativeModel(ClipConfig config, StateDict weights, Preprocessing preprocessing, BpeVocab vocab,
                          Provenance provenance, TrainingState training) {

    public NativeModel withTraining(TrainingState t) {
        return new NativeModel(config, weights, preprocessing, vocab, provenance, t);
    }
}
