package io.flinkclip.flink.operators;

import io.flinkclip.flink.Embedding;
import io.flinkclip.flink.ImageRecord;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.model.Clip;

import java.util.List;

/** Image → normalised embedding. */
public final class EmbedImages implements BatchInference<ImageRecord, Embedding> {
    @Override
    public String keyOf(ImageRecord r) { return r.key(); }

    @Override
    public void run(Clip clip, ControlState control, List<ImageRecord> batch, Results<Embedding> out) {
        float[][] emb = Inputs.embedImages(clip, batch, out);
        for (int i = 0; i < emb.length; i++) if (emb[i] != null) out.emit(i, new Embedding(batch.get(i).key(), emb[i]));
    }
}
