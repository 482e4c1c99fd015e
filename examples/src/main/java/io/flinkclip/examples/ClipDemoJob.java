package io.flinkclip.examples;

import io.flinkclip.flink.Classification;
import io.flinkclip.flink.ClipStreams;
import io.flinkclip.flink.ImageRecord;
import io.flinkclip.flink.SupplierModelProvider;
import io.flinkclip.flink.sql.ClipClassifyFunction;
import io.flinkclip.flink.sql.ClipScalarFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Zero-shot image classification with flink-clip, twice: with SQL ({@code CLIP_CLASSIFY}) and with the
 * DataStream API ({@code ClipStreams.classify}). Runs on an embedded MiniCluster and needs no download: the
 * built-in model is a small CLIP trained by flink-clip itself on Fashion-MNIST ({@link FashionClipModel}), and
 * the input is the first 200 Fashion-MNIST test images shipped in the jar, classified with a prompt template the
 * model never saw in training.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar examples/target/flink-clip-examples.jar
 *     [--model LOCATION | --demo-model] [--images DIR] [--count N] [--labels a,b,c] [--parallelism P]
 * </pre>
 * Without {@code --model} the in-process demo model is used: {@code supplier:} + {@link #DEMO_MODEL_SUPPLIER}
 * (overridable with {@code -Dflinkclip.demo.model=<class implementing Supplier<Clip>>}).
 */
public final class ClipDemoJob {
    /** The built-in model of the demo: a class implementing {@code Supplier<Clip>}. */
    public static final String DEMO_MODEL_SUPPLIER = FashionClipModel.class.getName();

    private ClipDemoJob() {}

    record Options(String model, Path images, int count, List<String> labels, String template, int parallelism) {
        static Options parse(String[] args) {
            String model = null;
            Path images = null;
            int count = 200, parallelism = 2;
            List<String> labels = FashionClipModel.CLASSES;
            String template = FashionClipModel.HELD_OUT_TEMPLATE;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--demo-model" -> model = null;
                    case "--model" -> model = value(args, ++i, a);
                    case "--images" -> images = Path.of(value(args, ++i, a));
                    case "--count" -> count = Integer.parseInt(value(args, ++i, a));
                    case "--labels" -> labels = Arrays.stream(value(args, ++i, a).split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
                    case "--parallelism" -> parallelism = Integer.parseInt(value(args, ++i, a));
                    case "--template" -> template = value(args, ++i, a);
                    case "--help", "-h" -> {
                        System.out.println("usage: ClipDemoJob [--model LOCATION | --demo-model] [--images DIR] [--count N] [--labels a,b,c] [--template T] [--parallelism P]");
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "' (try --help)");
                }
            }
            if (model == null) model = SupplierModelProvider.SCHEME + System.getProperty("flinkclip.demo.model", DEMO_MODEL_SUPPLIER);
            if (count < 1 || parallelism < 1 || labels.isEmpty()) throw new IllegalArgumentException("--count, --parallelism must be >= 1 and --labels non-empty");
            return new Options(model, images, count, labels, template, parallelism);
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
            return args[i];
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        List<DemoImages.Image> images = o.images() != null ? DemoImages.read(o.images()) : DemoImages.fashionMnist(o.count());
        System.out.printf("model %s, %d images (%s), labels %s, parallelism %d%n", o.model(), images.size(),
                o.images() != null ? o.images() : "Fashion-MNIST test set", o.labels(), o.parallelism());
        Map<String, String> expected = new HashMap<>();
        for (DemoImages.Image i : images) if (i.expected() != null) expected.put(i.name(), i.expected());

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(o.parallelism());
        report("SQL CLIP_CLASSIFY", classifyWithSql(env, o, images), expected, images.size());
        report("DataStream ClipStreams.classify", classifyWithDataStream(env, o, images), expected, images.size());
    }

    /** Results, wall time including job start-up, and time from the first result to the last. */
    record Run(Map<String, String> labels, long nanos, long steadyNanos) {}

    static Run classifyWithSql(StreamExecutionEnvironment env, Options o, List<DemoImages.Image> images) throws Exception {
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        tEnv.getConfig().set(ClipScalarFunction.MODEL, o.model());
        tEnv.createTemporarySystemFunction("CLIP_CLASSIFY", ClipClassifyFunction.class);
        // From a DataStream, not VALUES: a VALUES literal of hundreds of images makes the planner generate huge code.
        List<Row> rows = images.stream().map(i -> Row.of(i.name(), i.bytes())).toList();
        DataStream<Row> stream = env.fromData(rows, Types.ROW_NAMED(new String[] {"name", "image"},
                Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        tEnv.createTemporaryView("images", tEnv.fromDataStream(stream));
        String labels = String.join(", ", o.labels().stream().map(l -> "'" + l.replace("'", "''") + "'").toList());
        String sql = "SELECT name, t.c.label AS label, t.c.score AS score FROM (SELECT name, CLIP_CLASSIFY(image, ARRAY["
                + labels + "], ARRAY['" + o.template().replace("'", "''") + "']) AS c FROM images) AS t";
        System.out.println("\n" + sql);
        Map<String, String> out = new HashMap<>();
        long start = System.nanoTime(), first = 0;
        try (CloseableIterator<Row> it = tEnv.sqlQuery(sql).execute().collect()) {
            while (it.hasNext()) {
                Row r = it.next();
                if (first == 0) first = System.nanoTime();
                String name = (String) r.getField("name");
                if (r.getField("label") == null) {
                    System.out.printf("  %-32s NULL (bad image)%n", name);
                    continue;
                }
                out.put(name, (String) r.getField("label"));
                if (out.size() <= 5) System.out.printf("  %-32s %-12s %.3f%n", name, r.getField("label"), r.getField("score"));
            }
        }
        return new Run(out, System.nanoTime() - start, System.nanoTime() - first);
    }

    static Run classifyWithDataStream(StreamExecutionEnvironment env, Options o, List<DemoImages.Image> images) throws Exception {
        List<ImageRecord> records = new ArrayList<>(images.size());
        for (DemoImages.Image i : images) records.add(new ImageRecord(i.name(), i.bytes()));
        DataStream<ImageRecord> source = env.fromData(records);
        var result = ClipStreams.classify(source.rebalance()).model(o.model()).labels(o.labels())
                .templates(o.template()).batchSize(16).maxDelay(Duration.ofMillis(20)).apply();
        System.out.println("\nClipStreams.classify(images).model(...).labels(" + o.labels() + ").batchSize(16)");
        CloseableIterator<Classification> results = result.output().collectAsync();
        CloseableIterator<io.flinkclip.flink.BadRecord> bad = result.badRecords().collectAsync();
        long start = System.nanoTime(), first = 0;
        env.executeAsync("flink-clip demo (DataStream)");
        Map<String, String> out = new HashMap<>();
        while (results.hasNext()) {
            Classification c = results.next();
            if (first == 0) first = System.nanoTime();
            out.put(c.key(), c.label());
            if (out.size() <= 5) System.out.printf("  %-32s %-10s %.3f%n", c.key(), c.label(), c.score());
        }
        long end = System.nanoTime();
        while (bad.hasNext()) System.out.println("  bad record: " + bad.next());
        return new Run(out, end - start, end - first);
    }

    static void report(String what, Run run, Map<String, String> expected, int total) {
        double seconds = run.nanos() / 1e9;
        System.out.printf("%s: %d/%d images classified in %.2f s including job start-up (%.1f images/s)%n",
                what, run.labels().size(), total, seconds, run.labels().size() / Math.max(seconds, 1e-9));
        if (!expected.isEmpty()) {
            long correct = expected.entrySet().stream().filter(e -> e.getValue().equals(run.labels().get(e.getKey()))).count();
            System.out.printf("%s: %d/%d images got their true label (zero-shot accuracy %.1f%%)%n", what, correct, expected.size(),
                    100.0 * correct / expected.size());
        }
    }
}
