package io.flinkclip.flink;

import io.flinkclip.flink.testing.CollectingSink;
import io.flinkclip.flink.testing.FakeClipModelProvider;
import io.flinkclip.flink.testing.Images;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.awt.Color;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stop-with-savepoint in the middle of a stream and resume: every record is classified exactly once. The
 * operator's batch is large and its timeout long, so records are still buffered when the savepoint is taken;
 * they must be flushed before the barrier (the source's offset is already past them).
 */
class StopWithSavepointTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final int N = 300;
    static final String SINK = "savepoint-sink";
    static volatile int run;
    static final Color[] COLOURS = {new Color(220, 20, 20), new Color(20, 200, 30), new Color(10, 30, 230)};
    static final String[] NAMES = {"red", "green", "blue"};

    private static void build(StreamExecutionEnvironment env) {
        env.setParallelism(2);
        GeneratorFunction<Long, ImageRecord> gen = i -> new ImageRecord("img-" + i, Images.png(COLOURS[(int) (i % 3)], 8));
        var source = env.fromSource(new DataGeneratorSource<>(gen, N, RateLimiterStrategy.perSecond(100), TypeInformation.of(ImageRecord.class)),
                WatermarkStrategy.noWatermarks(), "images").uid("images");
        var classified = ClipStreams.classify(source).model(FakeClipModelProvider.PLAIN).labels(NAMES)
                .batchSize(40).maxDelay(Duration.ofSeconds(30)).uid("classify").apply();
        classified.output().map(c -> run + "|" + c.key() + "|" + c.label()).returns(Types.STRING).uid("tag")
                .sinkTo(new CollectingSink<>(SINK)).uid("sink");
    }

    @Test
    void resumeFromSavepointLosesAndDuplicatesNothing(@TempDir Path dir) throws Exception {
        CollectingSink.reset(SINK);
        run = 1;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env);
        JobClient job = env.executeAsync("first run");
        long deadline = System.currentTimeMillis() + 60_000;
        while (CollectingSink.count(SINK) < 40 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        String savepoint = job.stopWithSavepoint(false, dir.toUri().toString(), SavepointFormatType.CANONICAL).get();
        int firstRun = CollectingSink.count(SINK);
        assertTrue(firstRun >= 40 && firstRun < N, "stopped mid-stream after " + firstRun + " records");

        run = 2;
        Configuration conf = new Configuration();
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment resumed = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        build(resumed);
        resumed.execute("resumed");

        List<String> out = CollectingSink.results(SINK);
        Map<String, Long> perKey = out.stream().map(s -> s.split("\\|")[1]).collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        java.util.TreeSet<Integer> missing = new java.util.TreeSet<>();
        for (int i = 0; i < N; i++) if (!perKey.containsKey("img-" + i)) missing.add(i);
        assertEquals(N, perKey.size(), "every record arrived; first run " + firstRun + ", total " + out.size() + ", missing " + missing);
        assertTrue(perKey.values().stream().allMatch(c -> c == 1), "no record twice");
        assertEquals(N, out.size());
        assertTrue(out.stream().anyMatch(s -> s.startsWith("2|")), "second run did work");
        for (String s : out) {
            String[] f = s.split("\\|");
            assertEquals(NAMES[Integer.parseInt(f[1].substring(4)) % 3], f[2], s);
        }
    }
}
