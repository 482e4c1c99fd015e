package io.flinkclip.flink.operators;

import io.flinkclip.flink.Embedding;
import io.flinkclip.flink.TextRecord;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.model.Clip;

import java.util.List;

/** Text → normalised embedding. */
public final class EmbedTexts implements BatchInference<TextRecord, Embedding> {
    @Override
    public String keyOf(TextRecord r) { return r.key(); }

    @Override
    public void run(Clip clip, ControlState control, List<TextRecord> batch, Results<Embedding> out) {
        float[][] emb = Inputs.embedTexts(clip, batch, out);
        for (int i = 0; i < emb.length; i++) if (emb[i] != null) out.emit(i, new Embedding(batch.get(i).key(), emb[i]));
    }
}
