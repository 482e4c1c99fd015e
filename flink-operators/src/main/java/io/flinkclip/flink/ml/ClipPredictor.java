package io.flinkclip.flink.ml;

import io.flinkclip.flink.ClipScoring;
import io.flinkclip.flink.LabelScore;
import io.flinkclip.flink.SharedClipModels;
import io.flinkclip.model.Clip;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

import java.util.List;

/**
 * The per-subtask work behind ML_PREDICT: one shared model lease, class embeddings computed once, bad input
 * turned into an all-NULL output row plus the metric {@code clip.badInputs}. Thread-safe after construction
 * (the async function calls it from a pool), provided the model's encoder is.
 */
final class ClipPredictor implements AutoCloseable {
    private final ClipPredictSpec spec;
    private final SharedClipModels.Lease model;
    private final Counter badInputs;
    private final float[][] classes;

    ClipPredictor(ClipPredictSpec spec, MetricGroup metrics) {
        this.spec = spec;
        this.model = SharedClipModels.acquire(spec.modelLocation());
        this.badInputs = metrics.addGroup("clip").counter("badInputs");
        this.classes = spec.task() == ClipTask.CLASSIFY
                ? ClipScoring.classEmbeddings(model.clip(), spec.labels(), spec.templates()) : null;
    }

    /** The input column as a Java value (byte[] or String), copied out of the row; null for SQL NULL. */
    Object input(RowData row) {
        if (row.isNullAt(0)) return null;
        return spec.task().input == org.apache.flink.table.types.logical.LogicalTypeRoot.VARCHAR ? row.getString(0).toString() : row.getBinary(0);
    }

    RowData predict(Object input) {
        if (input == null) return nulls();
        Clip clip = model.clip();
        float[] embedding;
        try {
            embedding = switch (spec.task()) {
                case CLASSIFY, EMBED_IMAGE -> imageEmbedding(clip, (byte[]) input);
                case EMBED_TEXT -> ((String) input).isBlank() ? null : Clip.normalize(clip.embedTexts(List.of((String) input))[0]);
            };
        } catch (RuntimeException e) {
            // bad input (undecodable image, untokenizable text): never fail the job
            embedding = null;
        }
        if (embedding == null) {
            badInputs.inc();
            return nulls();
        }
        if (spec.task() != ClipTask.CLASSIFY) return GenericRowData.of(new GenericArrayData(embedding));
        LabelScore best = ClipScoring.top(spec.labels(), ClipScoring.probabilities(embedding, classes, clip.temperature()), 1)[0];
        return GenericRowData.of(StringData.fromString(best.label()), best.score());
    }

    private static float[] imageEmbedding(Clip clip, byte[] image) {
        if (image.length == 0) return null;
        float[] pixels = clip.pixels(image);
        int res = clip.config().imageResolution();
        if (pixels.length != 3 * res * res) return null;
        return Clip.normalize(clip.embedPixels(List.of(pixels))[0]);
    }

    private RowData nulls() { return new GenericRowData(spec.outputArity()); }

    @Override
    public void close() { model.close(); }
}
