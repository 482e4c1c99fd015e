package io.flinkclip.cli;

import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipLoader;

import java.nio.file.Path;
import java.util.Set;

/** The options every model-using command shares: --weights, --vocab, --vision-heads, --text-heads. */
final class ModelOptions {
    static final Set<String> NAMES = Set.of("weights", "vocab", "vision-heads", "text-heads", "no-ftfy");
    /** Options of NAMES that take no value. */
    static final Set<String> FLAGS = Set.of("no-ftfy");

    private ModelOptions() {}

    static Clip load(Args a, boolean needVocab) {
        Path weights = a.path("weights");
        Path vocab = a.has("vocab") ? a.path("vocab") : null;
        if (needVocab && vocab == null) throw new Args.UsageException("missing required option --vocab");
        Integer vh = a.has("vision-heads") ? a.intValue("vision-heads", 0) : null;
        Integer th = a.has("text-heads") ? a.intValue("text-heads", 0) : null;
        Clip clip = ClipLoader.fromSafetensors(weights, vocab, new ClipLoader.Overrides(vh, th));
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
