package io.flinkclip.flink.bench;

import io.flinkclip.flink.Classification;
import io.flinkclip.flink.ClipScoring;
import io.flinkclip.flink.ClipStreams;
import io.flinkclip.flink.ImageRecord;
import io.flinkclip.flink.LabelScore;
import io.flinkclip.flink.SharedClipModels;
import io.flinkclip.model.Clip;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * End-to-end zero-shot classification of the same images (a) through a Flink job on a local MiniCluster
 * (DataGeneratorSource → ClipStreams.classify → sink) and (b) by calling the library directly from a thread
 * pool of the same parallelism and batch size. Reports records/s and the p50/p99 latency from record
 * creation to result, and the Flink/direct ratios. Not a test: run it by hand, e.g.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp examples/target/flink-clip-examples.jar \
 *     io.flinkclip.flink.bench.FlinkOverheadBench --model supplier:io.flinkclip.examples.ColourDemoModel \
 *     --records 20000 --parallelism 2 --batch 16
 * </pre>
 * Both sides keep a bounded number of records in flight (Flink through its network buffers and backpressure,
 * the direct side through a bounded queue), so latencies are comparable at saturation.
 */
public final class FlinkOverheadBench {
    private FlinkOverheadBench() {}

    static final List<String> LABELS = List.of("red", "green", "blue");
    static final Color[] COLOURS = {new Color(200, 40, 40), new Color(40, 190, 50), new Color(30, 40, 210)};

    /** Latencies in nanoseconds and wall time of one side. */
    record Result(String name, int records, long wallNanos, long[] latencies) {
        double perSecond() { return records / (wallNanos / 1e9); }

        double percentileMs(double p) {
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
        }

        void print() {
            System.out.printf("%-7s %8d records  %10.1f records/s  p50 %8.2f ms  p99 %8.2f ms%n",
                    name, records, perSecond(), percentileMs(0.5), percentileMs(0.99));
        }
    }

    public static void main(String[] args) throws Exception {
        String model = null;
        int records = 5000, parallelism = 2, batch = 16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--parallelism" -> parallelism = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (usage: --model LOCATION [--records N] [--parallelism P] [--batch B])");
            }
        }
        if (model == null) throw new IllegalArgumentException("--model LOCATION is required");
        System.out.printf("model %s, %d records, parallelism %d, batch %d, %d cores%n", model, records, parallelism, batch,
                Runtime.getRuntime().availableProcessors());
        // warm-up both paths (JIT, model load), then measure
        direct(model, Math.min(records, 500), parallelism, batch);
        flink(model, Math.min(records, 500), parallelism, batch);
        Result d = direct(model, records, parallelism, batch);
        Result f = flink(model, records, parallelism, batch);
        d.print();
        f.print();
        System.out.printf("flink/direct: throughput %.3f, p50 latency %.3f, p99 latency %.3f%n",
                f.perSecond() / d.perSecond(), f.percentileMs(0.5) / d.percentileMs(0.5), f.percentileMs(0.99) / d.percentileMs(0.99));
    }

    static byte[] image(long i) {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        var g = img.createGraphics();
        g.setColor(COLOURS[(int) (i % 3)]);
        g.fillRect(0, 0, 64, 64);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Producer → bounded queue → P workers that take up to B records and classify them as one batch. */
    static Result direct(String model, int n, int parallelism, int batch) throws Exception {
        record Item(byte[] image, long created) {}
        BlockingQueue<Item> queue = new ArrayBlockingQueue<>(parallelism * batch * 4);
        long[] latencies = new long[n];
        byte[][] images = {image(0), image(1), image(2)};
        try (SharedClipModels.Lease lease = SharedClipModels.acquire(model)) {
            Clip clip = lease.clip();
            float[][] classes = ClipScoring.classEmbeddings(clip, LABELS, List.of());
            ExecutorService pool = Executors.newFixedThreadPool(parallelism);
            int[] done = {0};
            long start = System.nanoTime();
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < parallelism; w++) {
                workers.add(pool.submit(() -> {
                    List<Item> items = new ArrayList<>(batch);
                    while (true) {
                        items.clear();
                        Item first = queue.take();
                        if (first.image() == null) return null; // poison pill
                        items.add(first);
                        queue.drainTo(items, batch - 1);
                        int pills = (int) items.stream().filter(it -> it.image() == null).count();
                        items.removeIf(it -> it.image() == null);
                        for (int extra = 1; extra < pills; extra++) queue.put(new Item(null, 0)); // one pill per worker
                        boolean stop = pills > 0;
                        float[][] emb = items.isEmpty() ? new float[0][] : clip.embedImages(items.stream().map(Item::image).toList());
                        long now;
                        for (float[] e : emb) {
                            LabelScore[] top = ClipScoring.top(LABELS, ClipScoring.probabilities(Clip.normalize(e), classes, clip.temperature()), 1);
                            if (top.length == 0) throw new IllegalStateException();
                        }
                        now = System.nanoTime();
                        synchronized (done) {
                            for (Item it : items) latencies[done[0]++] = now - it.created();
                        }
                        if (stop) return null;
                    }
                }));
            }
            for (int i = 0; i < n; i++) queue.put(new Item(images[i % 3], System.nanoTime()));
            for (int w = 0; w < parallelism; w++) queue.put(new Item(null, 0));
            for (Future<?> f : workers) f.get();
            long wall = System.nanoTime() - start;
            pool.shutdown();
            return new Result("direct", n, wall, latencies);
        }
    }

    /** Source generates records stamped with their creation time; the sink side measures creation → result. */
    static Result flink(String model, int n, int parallelism, int batch) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(parallelism);
        var source = env.fromSource(new DataGeneratorSource<>(new StampedImages(), n, TypeInformation.of(ImageRecord.class)),
                WatermarkStrategy.noWatermarks(), "images");
        var classified = ClipStreams.classify(source).model(model).labels(LABELS).batchSize(batch)
                .maxDelay(Duration.ofMillis(5)).apply().output();
        CloseableIterator<long[]> stamps = classified.map(new Latency()).returns(org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO).collectAsync();
        env.execute("flink-clip overhead bench");
        long[] out = new long[n];
        long firstCreated = Long.MAX_VALUE, lastDone = Long.MIN_VALUE;
        int i = 0;
        while (stamps.hasNext()) {
            long[] s = stamps.next();
            out[i++] = s[1] - s[0];
            firstCreated = Math.min(firstCreated, s[0]);
            lastDone = Math.max(lastDone, s[1]);
        }
        if (i != n) throw new IllegalStateException("expected " + n + " results, got " + i);
        // wall time from the first record's creation: job submission and start-up are not inference overhead
        return new Result("flink", n, lastDone - firstCreated, out);
    }

    /** Key = "index|creation nanoTime" (one JVM, so nanoTime is comparable across tasks). */
    static final class StampedImages implements org.apache.flink.connector.datagen.source.GeneratorFunction<Long, ImageRecord> {
        private transient byte[][] images;

        @Override
        public ImageRecord map(Long i) {
            if (images == null) images = new byte[][] {image(0), image(1), image(2)};
            return new ImageRecord(i + "|" + System.nanoTime(), images[(int) (i % 3)]);
        }
    }

    /** {creation, completion} nanoTime of a record. */
    static final class Latency extends RichMapFunction<Classification, long[]> {
        @Override
        public void open(OpenContext ctx) {}

        @Override
        public long[] map(Classification c) {
            return new long[] {Long.parseLong(c.key().substring(c.key().indexOf('|') + 1)), System.nanoTime()};
        }
    }
}
