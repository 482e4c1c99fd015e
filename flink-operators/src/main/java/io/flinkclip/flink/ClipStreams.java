package io.flinkclip.flink;

import io.flinkclip.flink.control.ControlMessages;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.flink.control.proto.StandingQuery;
import io.flinkclip.flink.operators.BatchInference;
import io.flinkclip.flink.operators.Classify;
import io.flinkclip.flink.operators.EmbedImages;
import io.flinkclip.flink.operators.EmbedTexts;
import io.flinkclip.flink.operators.MatchQueries;
import io.flinkclip.flink.operators.MicroBatchClipOperator;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.OutputTag;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Fluent entry point for the DataStream operators, e.g.
 * <pre>{@code
 * ClipResult<Classification> r = ClipStreams.classify(images)
 *         .model("file:/models/ViT-B-32").labels("cat", "dog").templates("a photo of a {}.")
 *         .control(controlBytes).batchSize(32).maxDelay(Duration.ofMillis(20)).uid("classify").apply();
 * r.output().print();
 * r.badRecords().print();
 * }</pre>
 */
public final class ClipStreams {
    public static final OutputTag<BadRecord> BAD_RECORDS = new OutputTag<>("clip-bad-records", TypeInformation.of(BadRecord.class));
    public static final OutputTag<ControlApplied> CONTROL_APPLIED = new OutputTag<>("clip-control-applied", TypeInformation.of(ControlApplied.class));

    private ClipStreams() {}

    public static Builder<ImageRecord, Classification> classify(DataStream<ImageRecord> images) {
        return new Builder<>(images, "clip-classify", TypeInformation.of(Classification.class), b -> new Classify(b.topK));
    }

    public static Builder<ImageRecord, Embedding> embedImages(DataStream<ImageRecord> images) {
        return new Builder<>(images, "clip-embed-images", TypeInformation.of(Embedding.class), b -> new EmbedImages());
    }

    public static Builder<TextRecord, Embedding> embedTexts(DataStream<TextRecord> texts) {
        return new Builder<>(texts, "clip-embed-texts", TypeInformation.of(Embedding.class), b -> new EmbedTexts());
    }

    /** Alerts for images similar to standing text queries ({@link Builder#query}, or QuerySet control messages). */
    public static Builder<ImageRecord, QueryMatch> matchQueries(DataStream<ImageRecord> images) {
        return new Builder<>(images, "clip-match-queries", TypeInformation.of(QueryMatch.class), b -> new MatchQueries());
    }

    /** The main output and the side outputs of an applied operator. */
    public record ClipResult<OUT>(SingleOutputStreamOperator<OUT> output) {
        public DataStream<BadRecord> badRecords() { return output.getSideOutput(BAD_RECORDS); }

        public DataStream<ControlApplied> controlApplied() { return output.getSideOutput(CONTROL_APPLIED); }
    }

    private interface InferenceFactory<IN, OUT> {
        BatchInference<IN, OUT> create(Builder<IN, OUT> b);
    }

    public static final class Builder<IN, OUT> {
        private final DataStream<IN> input;
        private final String name;
        private final TypeInformation<OUT> outType;
        private final InferenceFactory<IN, OUT> factory;
        private String model;
        private final List<String> labels = new ArrayList<>();
        private final List<String> templates = new ArrayList<>();
        private final List<StandingQuery> queries = new ArrayList<>();
        private DataStream<byte[]> control;
        private int topK = 5;
        private int batchSize = 16;
        private Duration maxDelay = Duration.ofMillis(50);
        private String uid;
        private int parallelism = -1;

        private Builder(DataStream<IN> input, String name, TypeInformation<OUT> outType, InferenceFactory<IN, OUT> factory) {
            this.input = Objects.requireNonNull(input, "input stream");
            this.name = name;
            this.outType = outType;
            this.factory = factory;
        }

        /** Model location, resolved by a {@link ClipModelProvider}. */
        public Builder<IN, OUT> model(String location) { this.model = location; return this; }

        public Builder<IN, OUT> labels(String... labels) { return labels(List.of(labels)); }

        public Builder<IN, OUT> labels(List<String> labels) { this.labels.clear(); this.labels.addAll(labels); return this; }

        /** Prompt templates with "{}" for the label, e.g. "a photo of a {}." (ensembled). */
        public Builder<IN, OUT> templates(String... templates) { this.templates.clear(); this.templates.addAll(List.of(templates)); return this; }

        public Builder<IN, OUT> query(String id, String text, float threshold) {
            queries.add(ControlMessages.query(id, text, threshold));
            return this;
        }

        /** Live updates: serialized {@code ControlMessage}s; broadcast to every parallel instance. */
        public Builder<IN, OUT> control(DataStream<byte[]> control) { this.control = control; return this; }

        public Builder<IN, OUT> topK(int k) { this.topK = k; return this; }

        public Builder<IN, OUT> batchSize(int n) { this.batchSize = n; return this; }

        public Builder<IN, OUT> maxDelay(Duration d) { this.maxDelay = d; return this; }

        /** Operator uid, needed to restore its state from a savepoint after the job graph changes. */
        public Builder<IN, OUT> uid(String uid) { this.uid = uid; return this; }

        public Builder<IN, OUT> parallelism(int p) { this.parallelism = p; return this; }

        public ClipResult<OUT> apply() {
            if (model == null || model.isBlank()) throw new IllegalStateException(name + ": no model location set (call model(...))");
            ControlState initial = ControlState.initial(model, labels, templates, queries);
            MicroBatchClipOperator<IN, OUT> op = new MicroBatchClipOperator<>(
                    factory.create(this), initial, batchSize, maxDelay.toMillis(), BAD_RECORDS, CONTROL_APPLIED);
            DataStream<byte[]> ctl = control != null ? control : noControl(input.getExecutionEnvironment());
            SingleOutputStreamOperator<OUT> out = input.connect(ctl.broadcast()).transform(name, outType, op);
            if (uid != null) out.uid(uid);
            if (parallelism > 0) out.setParallelism(parallelism);
            return new ClipResult<>(out);
        }
    }

    /** A control stream without messages, for jobs whose labels/queries are fixed. */
    static DataStream<byte[]> noControl(StreamExecutionEnvironment env) {
        return env.fromSequence(0, 0).setParallelism(1).name("clip-no-control")
                .flatMap((FlatMapFunction<Long, byte[]>) (x, out) -> {}).returns(PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
                .name("clip-no-control").setParallelism(1);
    }

}
