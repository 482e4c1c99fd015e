package io.flinkclip.flink.operators;

import io.flinkclip.flink.Classification;
import io.flinkclip.flink.ClipScoring;
import io.flinkclip.flink.ImageRecord;
import io.flinkclip.flink.LabelScore;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.model.Clip;

import java.util.List;

/** Zero-shot classification against the current label set; class embeddings cached until the next control change. */
public final class Classify implements BatchInference<ImageRecord, Classification> {
    private final int topK;
    private transient float[][] classes;

    public Classify(int topK) {
        if (topK < 1) throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        this.topK = topK;
    }

    @Override
    public String keyOf(ImageRecord r) { return r.key(); }

    @Override
    public void run(Clip clip, ControlState control, List<ImageRecord> batch, Results<Classification> out) {
        List<String> labels = control.labels();
        if (labels.isEmpty()) {
            for (int i = 0; i < batch.size(); i++) out.bad(i, "no label set configured");
            return;
        }
        if (classes == null) classes = ClipScoring.classEmbeddings(clip, labels, control.templates());
        float[][] emb = Inputs.embedImages(clip, batch, out);
        float temperature = clip.temperature();
        for (int i = 0; i < emb.length; i++) {
            if (emb[i] == null) continue;
            LabelScore[] top = ClipScoring.top(labels, ClipScoring.probabilities(emb[i], classes, temperature), topK);
            out.emit(i, new Classification(batch.get(i).key(), top[0].label(), top[0].score(), top, control.version()));
        }
    }

    @Override
    public void reset() { classes = null; }
}
