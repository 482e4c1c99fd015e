package io.flinkclip.flink;

import io.flinkclip.flink.control.ControlMessages;
import io.flinkclip.flink.testing.CollectingSink;
import io.flinkclip.flink.testing.FakeClipModelProvider;
import io.flinkclip.flink.testing.Images;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DataStream jobs on a MiniCluster (parallelism 2) with the fake model. */
class ClipStreamsTest {
    static final int PARALLELISM = 2;

    static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(METRICS.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(PARALLELISM).build());

    // Hand-over between the sources and the sinks of labelSetChangesMidStream (same JVM as the MiniCluster).
    static final int BEFORE = 10, AFTER = 10;
    static volatile CountDownLatch controlApplied;
    static volatile CountDownLatch firstPhaseClassified;

    @Test
    void labelSetChangesMidStream() throws Exception {
        CollectingSink.reset("labels", "applied");
        controlApplied = new CountDownLatch(PARALLELISM);
        firstPhaseClassified = new CountDownLatch(BEFORE);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(PARALLELISM);

        // Data: BEFORE red images, then (once every operator instance applied the new labels) AFTER more.
        GeneratorFunction<Long, ImageRecord> images = i -> {
            if (i == BEFORE && !controlApplied.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("control never applied");
            return new ImageRecord("img-" + i, Images.red());
        };
        var data = env.fromSource(new DataGeneratorSource<>(images, BEFORE + AFTER, TypeInformation.of(ImageRecord.class)),
                WatermarkStrategy.noWatermarks(), "images").setParallelism(1);
        // Control: sent only after the first phase has been classified with the configured labels.
        GeneratorFunction<Long, byte[]> control = i -> {
            if (!firstPhaseClassified.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("first phase never classified");
            return ControlMessages.labels(1, List.of("red", "green", "blue"), List.of("a photo of a {}.", "a {} thing"));
        };
        var controlStream = env.fromSource(new DataGeneratorSource<>(control, 1, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO),
                WatermarkStrategy.noWatermarks(), "control").setParallelism(1);

        var result = ClipStreams.classify(data.rebalance())
                .model(FakeClipModelProvider.PLAIN).labels("green", "blue").topK(3)
                .batchSize(4).maxDelay(Duration.ofMillis(10))
                .control(controlStream).apply();
        result.output().map(c -> {
            if (c.controlVersion() == 0) firstPhaseClassified.countDown();
            return c;
        }).returns(Classification.class).sinkTo(new CollectingSink<>("labels"));
        result.controlApplied().map(a -> {
            controlApplied.countDown();
            return a;
        }).returns(ControlApplied.class).sinkTo(new CollectingSink<>("applied"));
        env.execute("label change");

        List<Classification> out = CollectingSink.results("labels");
        assertEquals(BEFORE + AFTER, out.size());
        Map<Boolean, List<Classification>> byPhase = out.stream()
                .collect(Collectors.partitioningBy(c -> Integer.parseInt(c.key().substring(4)) >= BEFORE));
        for (Classification c : byPhase.get(false)) {
            assertEquals(0, c.controlVersion(), c.key());
            assertTrue(List.of("green", "blue").contains(c.label()), c.label());
            assertEquals(2, c.top().length);
        }
        for (Classification c : byPhase.get(true)) {
            assertEquals(1, c.controlVersion(), c.key());
            assertEquals("red", c.label());
            assertEquals(3, c.top().length);
            assertTrue(c.score() > 0.9f, "score " + c.score());
        }
        List<ControlApplied> applied = CollectingSink.results("applied");
        assertEquals(List.of(0, 1), applied.stream().map(ControlApplied::subtask).sorted().toList());
    }

    @Test
    void badRecordsReachSideOutput() throws Exception {
        CollectingSink.reset("classified", "bad-images", "text-emb", "bad-texts", "alerts");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(PARALLELISM);
        var images = env.fromData(
                new ImageRecord("red", Images.red()), new ImageRecord("corrupt", Images.garbage()),
                new ImageRecord("blue", Images.blue()), new ImageRecord("tiny", Images.tiny()),
                new ImageRecord("empty", new byte[0]), new ImageRecord("green", Images.green()));
        var texts = env.fromData(new TextRecord("t1", "a red apple"), new TextRecord("t2", "  "), new TextRecord("t3", "blue sky"));

        var classified = ClipStreams.classify(images).model(FakeClipModelProvider.PLAIN).labels("red", "green", "blue").apply();
        classified.output().sinkTo(new CollectingSink<>("classified"));
        classified.badRecords().sinkTo(new CollectingSink<>("bad-images"));
        var embedded = ClipStreams.embedTexts(texts).model(FakeClipModelProvider.PLAIN).apply();
        embedded.output().sinkTo(new CollectingSink<>("text-emb"));
        embedded.badRecords().sinkTo(new CollectingSink<>("bad-texts"));
        var alerts = ClipStreams.matchQueries(images).model(FakeClipModelProvider.PLAIN)
                .query("q-red", "something red", 0.95f).query("q-green", "green", 0.95f).apply();
        alerts.output().sinkTo(new CollectingSink<>("alerts"));
        JobID job = env.execute("bad records").getJobID();

        List<Classification> ok = CollectingSink.results("classified");
        assertEquals(Map.of("red", "red", "blue", "blue", "green", "green"),
                ok.stream().collect(Collectors.toMap(Classification::key, Classification::label)));
        List<BadRecord> bad = CollectingSink.<BadRecord>results("bad-images");
        bad.sort(Comparator.comparing(BadRecord::key));
        assertEquals(List.of("corrupt", "empty", "tiny"), bad.stream().map(BadRecord::key).toList());
        assertTrue(bad.get(0).reason().startsWith("undecodable image"), bad.get(0).reason());

        List<Embedding> emb = CollectingSink.results("text-emb");
        assertEquals(List.of("t1", "t3"), emb.stream().map(Embedding::key).sorted().toList());
        for (Embedding e : emb) assertEquals(1.0, norm(e.vector()), 1e-5);
        assertEquals(List.of(new BadRecord("t2", "empty text")), CollectingSink.results("bad-texts"));

        // metrics of the classify operator, summed over its subtasks
        assertEquals(3, sum(metrics(job, "clip-classify", "badRecords"), m -> ((Counter) m).getCount()));
        assertEquals(6, sum(metrics(job, "clip-classify", "records"), m -> ((Counter) m).getCount()));
        assertEquals(1, sum(metrics(job, "clip-embed-texts", "badRecords"), m -> ((Counter) m).getCount()));
        assertTrue(sum(metrics(job, "clip-classify", "batchSize"), m -> ((Histogram) m).getCount()) >= 1);
        assertTrue(sum(metrics(job, "clip-classify", "inferenceLatencyMs"), m -> ((Histogram) m).getCount()) >= 1);
        assertEquals(PARALLELISM, metrics(job, "clip-classify", "recordsPerSecond").stream().filter(m -> m instanceof Meter).count());

        List<QueryMatch> matches = CollectingSink.results("alerts");
        assertEquals(List.of("green:q-green", "red:q-red"),
                matches.stream().map(m -> m.key() + ":" + m.queryId()).sorted().toList());
    }

    static List<Metric> metrics(JobID job, String operator, String name) {
        return METRICS.getMetricsByGroup().entrySet().stream()
                .filter(e -> job.toString().equals(e.getKey().getAllVariables().get("<job_id>")))
                .filter(e -> operator.equals(e.getKey().getAllVariables().get("<operator_name>")))
                .filter(e -> e.getKey().getMetricIdentifier(name).endsWith("clip." + name))
                .map(e -> e.getValue().get(name)).filter(java.util.Objects::nonNull).toList();
    }

    static long sum(List<Metric> metrics, java.util.function.ToLongFunction<Metric> value) {
        if (metrics.isEmpty()) throw new AssertionError("metric not registered");
        return metrics.stream().mapToLong(value).sum();
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += x * x;
        return Math.sqrt(s);
    }
}
