package io.flinkclip.flink.ml;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code 'provider' = 'clip'} for CREATE MODEL:
 * <pre>{@code
 * CREATE MODEL clip_classifier INPUT (image BYTES) OUTPUT (label STRING, score FLOAT)
 * WITH ('provider' = 'clip', 'clip.model' = '...', 'task' = 'classify', 'labels' = 'cat,dog',
 *       'templates' = 'a photo of a {}.|a drawing of a {}.');
 * SELECT * FROM ML_PREDICT(TABLE images, MODEL clip_classifier, DESCRIPTOR(image));
 * }</pre>
 * Tasks: classify (BYTES → label STRING, score FLOAT), embed-image (BYTES → ARRAY&lt;FLOAT&gt;), embed-text
 * (STRING → ARRAY&lt;FLOAT&gt;). Schemas are checked here so that a mismatch fails at planning time.
 */
public class ClipModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "clip";

    public static final ConfigOption<String> MODEL = ConfigOptions.key("clip.model").stringType().noDefaultValue()
            .withDescription("Location of the CLIP model, resolved by a ClipModelProvider");
    public static final ConfigOption<String> TASK = ConfigOptions.key("task").stringType().defaultValue("classify")
            .withDescription("classify | embed-image | embed-text");
    public static final ConfigOption<String> LABELS = ConfigOptions.key("labels").stringType().noDefaultValue()
            .withDescription("Comma-separated class labels (task 'classify')");
    public static final ConfigOption<String> TEMPLATES = ConfigOptions.key("templates").stringType().noDefaultValue()
            .withDescription("'|'-separated prompt templates with {} for the label (task 'classify')");
    public static final ConfigOption<Integer> ASYNC_THREADS = ConfigOptions.key("async.threads").intType().defaultValue(2)
            .withDescription("Inference threads per subtask of the asynchronous predict function");

    @Override
    public String factoryIdentifier() { return IDENTIFIER; }

    @Override
    public Set<ConfigOption<?>> requiredOptions() { return Set.of(MODEL); }

    @Override
    public Set<ConfigOption<?>> optionalOptions() { return Set.of(TASK, LABELS, TEMPLATES, ASYNC_THREADS); }

    @Override
    public ModelProvider createModelProvider(Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate();
        ReadableConfig options = helper.getOptions();
        String model = context.getObjectIdentifier().asSummaryString();
        ClipTask task;
        try {
            task = ClipTask.fromOption(options.get(TASK));
        } catch (IllegalArgumentException e) {
            throw new ValidationException("model " + model + ": " + e.getMessage());
        }
        List<String> labels = split(options.getOptional(LABELS).orElse(""), ",");
        List<String> templates = split(options.getOptional(TEMPLATES).orElse(""), "\\|");
        if (task == ClipTask.CLASSIFY && labels.isEmpty()) {
            throw new ValidationException("model " + model + ": task 'classify' needs 'labels' = 'label1,label2,...'");
        }
        int threads = options.get(ASYNC_THREADS);
        if (threads < 1) throw new ValidationException("model " + model + ": 'async.threads' must be >= 1");
        ResolvedSchema in = context.getCatalogModel().getResolvedInputSchema();
        ResolvedSchema out = context.getCatalogModel().getResolvedOutputSchema();
        checkSchema(model, task, in, out);
        return new ClipPredictProvider(new ClipPredictSpec(options.get(MODEL), task, labels, templates, out.getColumnCount(), threads));
    }

    private static List<String> split(String value, String separatorRegex) {
        return Arrays.stream(value.split(separatorRegex)).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static void checkSchema(String model, ClipTask task, ResolvedSchema in, ResolvedSchema out) {
        List<LogicalType> inTypes = in.getColumns().stream().map(Column::getDataType).map(d -> d.getLogicalType()).toList();
        List<LogicalType> outTypes = out.getColumns().stream().map(Column::getDataType).map(d -> d.getLogicalType()).toList();
        boolean inputOk = inTypes.size() == 1 && (task.input == LogicalTypeRoot.VARCHAR
                ? inTypes.get(0).is(LogicalTypeFamily.CHARACTER_STRING) : inTypes.get(0).is(LogicalTypeFamily.BINARY_STRING));
        boolean outputOk = task == ClipTask.CLASSIFY
                ? outTypes.size() == 2 && outTypes.get(0).is(LogicalTypeFamily.CHARACTER_STRING) && outTypes.get(1).is(LogicalTypeRoot.FLOAT)
                : outTypes.size() == 1 && outTypes.get(0) instanceof ArrayType a && a.getElementType().is(LogicalTypeRoot.FLOAT);
        if (!inputOk || !outputOk) {
            throw new ValidationException("model " + model + " with task '" + task.option + "' needs INPUT ("
                    + (task.input == LogicalTypeRoot.VARCHAR ? "text STRING" : "image BYTES") + ") OUTPUT " + task.output
                    + ", got INPUT " + inTypes + " OUTPUT " + outTypes);
        }
    }
}
