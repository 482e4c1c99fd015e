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

    /**
     * The same model with other head counts. Safetensors files carry no config, so heads are inferred by
     * OpenAI's width/64 rule; models trained with another head width (e.g. OpenCLIP's ViT-H-14: 1280/80 = 16)
     * must be corrected with this before saving or running.
     */
    public NativeModel withHeads(int visionHeads, int textHeads) {
        ClipConfig c = config.withHeads(visionHeads, textHeads);
        int visionAttnWidth = c.isResNet() ? c.visionWidth() * 32 : c.visionWidth();
        if (visionHeads <= 0 || textHeads <= 0 || visionAttnWidth % visionHeads != 0 || c.textWidth() % textHeads != 0)
            throw new IllegalArgumentException("head counts " + visionHeads + "/" + textHeads + " do not divide the widths of " + config);
        return new NativeModel(c, weights, preprocessing, vocab, provenance, training);
    }

    public NativeModel withTraining(TrainingState t) {
        return new NativeModel(config, weights, preprocessing, vocab, provenance, t);
    }
}
