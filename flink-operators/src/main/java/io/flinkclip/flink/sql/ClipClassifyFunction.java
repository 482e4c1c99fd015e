package io.flinkclip.flink.sql;

import io.flinkclip.flink.ClipScoring;
import io.flinkclip.flink.LabelScore;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.types.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code CLIP_CLASSIFY(image BYTES, labels ARRAY<STRING> [, templates ARRAY<STRING>])} →
 * {@code ROW<label STRING, score FLOAT, top ARRAY<ROW<label STRING, score FLOAT>>>}: zero-shot classification;
 * {@code top} holds up to {@value #TOP_K} labels, best first. Class embeddings are cached per distinct
 * (labels, templates) pair, so a constant label array costs one text-encoder pass per TaskManager slot.
 */
public class ClipClassifyFunction extends ClipScalarFunction {
    public static final String RESULT_TYPE = "ROW<label STRING, score FLOAT, top ARRAY<ROW<label STRING, score FLOAT>>>";
    static final int TOP_K = 5;
    private static final int CLASS_CACHE = 64;

    private transient Map<List<List<String>>, float[][]> classes;

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        classes = lru(CLASS_CACHE);
    }

    public @DataTypeHint(RESULT_TYPE) Row eval(byte[] image, String[] labels) {
        return eval(image, labels, null);
    }

    public @DataTypeHint(RESULT_TYPE) Row eval(byte[] image, String[] labels, String[] templates) {
        if (image == null || labels == null) return null;
        List<String> ls = clean(labels);
        if (ls == null || ls.isEmpty()) return bad();
        List<String> ts = templates == null ? List.of() : clean(templates);
        if (ts == null) return bad();
        float[] img = imageEmbedding(image);
        if (img == null) return null;
        List<List<String>> key = List.of(ls, ts);
        float[][] cls = classes.get(key);
        if (cls == null) {
            try {
                cls = ClipScoring.classEmbeddings(clip(), ls, ts);
            } catch (RuntimeException e) {
                return bad(); // labels the tokenizer/encoder rejects
            }
            classes.put(key, cls);
        }
        LabelScore[] top = ClipScoring.top(ls, ClipScoring.probabilities(img, cls, clip().temperature()), TOP_K);
        Row[] rows = Arrays.stream(top).map(t -> Row.of(t.label(), t.score())).toArray(Row[]::new);
        return Row.of(top[0].label(), top[0].score(), rows);
    }

    /** The strings, or null if any is null or blank (a label list with holes is bad input). */
    private static List<String> clean(String[] values) {
        List<String> out = new ArrayList<>(values.length);
        for (String v : values) {
            if (v == null || v.isBlank()) return null;
            out.add(v);
        }
        return out;
    }
}
