package io.flinkclip.cli;

import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipLoader;

import java.util.Set;

/** The options every model-using command shares: --weights, --vocab, --vision-heads, --text-heads. */
final class ModelOptions {
    static final Set<String> NAMES = Set.of("weights", "vocab", "vision-heads", "text-heads", "no-ftfy", "device");
    /** Options of NAMES that take no value. */
    static final Set<String> FLAGS = Set.of("no-ftfy");

    private ModelOptions() {}

    static Clip load(Args a, boolean needVocab) { return load(a, needVocab, false); }

    /** @param trainable a model that can compute gradients (CPU, weights not pre-packed) */
    static Clip load(Args a, boolean needVocab, boolean trainable) {
        String weights = a.require("weights");
        String vocab = a.get("vocab", null);
        Integer vh = a.has("vision-heads") ? a.intValue("vision-heads", 0) : null;
        Integer th = a.has("text-heads") ? a.intValue("text-heads", 0) : null;
        // --weights may be a native file, a safetensors file or a Hugging Face directory (see ModelLocation)
        ClipLoader.Overrides o = new ClipLoader.Overrides(vh, th);
        Clip clip = trainable ? ClipLoader.loadTrainable(weights, vocab, o)
                : ClipLoader.load(weights, vocab, o, a.get("device", System.getProperty("clip.device", "cpu")));
        if (needVocab && clip.tokenizer() == null) {
            throw new Args.UsageException("the model at " + weights + " carries no vocabulary: give --vocab");
        }
        if (a.has("no-ftfy") && clip.tokenizer() instanceof io.flinkclip.model.text.ClipTokenizer t) {
            clip = new Clip(clip.encoder(), t.withFtfy(false), clip.preprocessing());
        }
        return clip;
    }

    static Set<String> with(String... more) {
        java.util.HashSet<String> s = new java.util.HashSet<>(NAMES);
        s.addAll(java.util.List.of(more));
        return s;
    }
}
