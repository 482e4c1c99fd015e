package io.flinkclip.training.optim;

import java.io.Serializable;

/** Which parameters get weight decay. */
@FunctionalInterface
public interface WeightDecayRule extends Serializable {
    boolean decays(String name, int[] shape);

    /**
     * open_clip's rule (src/training/main.py): no decay where {@code p.ndim < 2 or "bn" in n or "ln" in n or
     * "bias" in n or "logit_scale" in n}. Note that under this rule the 2-D token_embedding.weight and
     * positional_embedding <b>are</b> decayed; class_embedding (1-D) is not.
     */
    static WeightDecayRule openClip() {
        return (n, s) -> !(s.length < 2 || n.contains("bn") || n.contains("ln") || n.contains("bias") || n.contains("logit_scale"));
    }

    /** {@link #openClip()} that additionally exempts the embedding tables (token, positional, class). */
    static WeightDecayRule openClipAndEmbeddings() {
        WeightDecayRule base = openClip();
        return (n, s) -> base.decays(n, s) && !n.contains("token_embedding") && !n.contains("positional_embedding")
                && !n.contains("class_embedding");
    }
}
