package io.flinkclip.training.job;

import io.flinkclip.model.TextTokenizer;
import io.flinkclip.training.ToyClip;
import io.flinkclip.training.TrainableClip;

/** The toy model plus a word-hashing tokenizer (SOT 1, words → 2..38, EOT 39, 0 padding) for job tests. */
public final class ToyFactory implements TrainingModelFactory {
    private final long seed;

    public ToyFactory(long seed) { this.seed = seed; }

    public ToyFactory() { this(7); }

    @Override
    public TrainableClip createModel() { return ToyClip.small(seed); }

    @Override
    public TextTokenizer createTokenizer() {
        return (text, ctx) -> {
            int[] t = new int[ctx];
            t[0] = 1;
            int n = 1;
            for (String w : text.toLowerCase().split("\\s+")) {
                if (w.isEmpty() || n >= ctx - 1) continue;
                t[n++] = 2 + Math.floorMod(w.hashCode(), 37);
            }
            t[n] = 39;
            return t;
        };
    }
}
