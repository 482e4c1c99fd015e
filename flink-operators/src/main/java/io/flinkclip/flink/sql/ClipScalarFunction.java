package io.flinkclip.flink.sql;

import io.flinkclip.flink.SharedClipModels;
import io.flinkclip.model.Clip;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.table.functions.SpecializedFunction;
import org.apache.flink.table.functions.UserDefinedFunction;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of the CLIP SQL functions. The model is named by {@value #MODEL_OPTION}: a table option
 * ({@code SET 'clip.model' = '...'}, captured at planning time through {@link SpecializedFunction}, because
 * Flink 2.3 does not copy table options into job parameters), else the job parameter of that name (read in
 * {@link #open}). The model is shared with every other function and operator in the TaskManager. Bad input
 * (undecodable image, empty text or label list) yields SQL NULL and increments the metric
 * {@code clip.badInputs}; it never fails the job. NULL input yields NULL and is not counted.
 */
public abstract class ClipScalarFunction extends ScalarFunction implements SpecializedFunction {
    public static final String MODEL_OPTION = "clip.model";
    public static final ConfigOption<String> MODEL = ConfigOptions.key(MODEL_OPTION).stringType().noDefaultValue()
            .withDescription("Location of the CLIP model used by the CLIP_* SQL functions");
    private static final int TEXT_CACHE = 1024;

    /** From the table config at planning time; serialized with the function into the job. */
    private String configuredModel;
    private transient SharedClipModels.Lease model;
    private transient Counter badInputs;
    private transient Map<String, float[]> texts;
    private transient byte[] lastImage;
    private transient float[] lastEmbedding;

    @Override
    public UserDefinedFunction specialize(SpecializedContext context) {
        String location = context.getConfiguration().getOptional(MODEL).orElse(null);
        if (location == null) return this;
        try {
            ClipScalarFunction copy = getClass().getConstructor().newInstance();
            copy.configuredModel = location;
            return copy;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(getClass().getName() + " needs a public no-argument constructor", e);
        }
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        String location = configuredModel != null ? configuredModel : context.getJobParameter(MODEL_OPTION, null);
        if (location == null || location.isBlank()) {
            throw new IllegalStateException("CLIP SQL function " + getClass().getSimpleName() + " needs the model location: SET '"
                    + MODEL_OPTION + "' = '<location>' (table config) or job parameter " + MODEL_OPTION);
        }
        model = SharedClipModels.acquire(location);
        badInputs = context.getMetricGroup().addGroup("clip").counter("badInputs");
        texts = lru(TEXT_CACHE);
    }

    @Override
    public void close() throws Exception {
        if (model != null) model.close();
        model = null;
    }

    protected final Clip clip() { return model.clip(); }

    /** Counts a bad input and returns null, so callers can {@code return bad();}. */
    protected final <T> T bad() {
        badInputs.inc();
        return null;
    }

    /**
     * Normalised image embedding, or null (counted once) if the image cannot be decoded. The last image is
     * remembered: the planner may inline a call once per field it reads ({@code t.c.label, t.c.score} after
     * {@code CLIP_CLASSIFY(...) AS c} makes two calls for the same row), and those must not re-encode it.
     */
    protected final float[] imageEmbedding(byte[] image) {
        if (lastImage != null && java.util.Arrays.equals(lastImage, image)) return lastEmbedding;
        float[] e = encodeImage(image);
        lastImage = image.clone();
        lastEmbedding = e;
        return e;
    }

    private float[] encodeImage(byte[] image) {
        if (image.length == 0) return bad();
        float[] pixels;
        try {
            pixels = clip().pixels(image);
        } catch (RuntimeException e) {
            return bad();
        }
        int res = clip().config().imageResolution();
        if (pixels.length != 3 * res * res) return bad();
        return Clip.normalize(clip().embedPixels(List.of(pixels))[0]);
    }

    /** Normalised text embedding (cached), or null (counted) if the text is blank. */
    protected final float[] textEmbedding(String text) {
        if (text.isBlank()) return bad();
        float[] e = texts.get(text);
        if (e == null) {
            try {
                e = Clip.normalize(clip().embedTexts(List.of(text))[0]);
            } catch (RuntimeException ex) {
                return bad();
            }
            texts.put(text, e);
        }
        return e;
    }

    protected static Float[] boxed(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    static <K, V> Map<K, V> lru(int capacity) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) { return size() > capacity; }
        };
    }
}
