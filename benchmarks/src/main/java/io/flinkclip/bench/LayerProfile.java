package io.flinkclip.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.kernels.Parallel;
import io.flinkclip.model.ClipLoader;
import io.flinkclip.model.ClipModel;
import io.flinkclip.model.nn.LayerTimes;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Image encoding layer by layer: flink-clip's wall time per named layer ({@link LayerTimes}) and, when the weights
 * have an ONNX export beside them (written by {@code bin/clip bench}), ONNX Runtime's own per-node profile of the
 * same pass, so the two can be compared layer for layer (the sixth and twelfth sessions' RN50 analyses).
 *
 * <pre>bin/clip bench --layers --weights W.safetensors [--batch 1] [--seconds 10] [--top 40]</pre>
 * Both engines are warmed up for the given seconds, then timed for as long again; figures are milliseconds per pass.
 */
public final class LayerProfile {
    private LayerProfile() {}

    public static void main(String[] args) throws Exception {
        Path weights = null;
        int batch = 1, top = 40;
        double seconds = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--layers" -> { }
                case "--weights" -> weights = Path.of(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--top" -> top = Integer.parseInt(args[++i]);
                case "--threads" -> i++; // read by bin/clip
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (weights == null) throw new IllegalArgumentException("--weights FILE is required");
        ClipModel model = (ClipModel) ClipLoader.fromSafetensors(weights, null, ClipLoader.Overrides.NONE).encoder();
        int r = model.config().imageResolution(), n = batch;
        float[] pixels = new float[n * 3 * r * r];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) rnd.nextGaussian();

        loop(() -> model.encodeImages(pixels, n), seconds);
        LayerTimes.reset();
        LayerTimes.enable(true);
        long t0 = System.nanoTime();
        int passes = loop(() -> model.encodeImages(pixels, n), seconds);
        double passMs = (System.nanoTime() - t0) / 1e6 / passes;
        LayerTimes.enable(false);
        List<Map.Entry<String, Double>> ours = new ArrayList<>();
        LayerTimes.snapshot().forEach((name, v) -> ours.add(Map.entry(name, v[1] / 1e6 / passes)));
        print("flink-clip, batch " + n + ": " + String.format(Locale.ROOT, "%.2f", passMs) + " ms per pass", ours, passMs, top,
                "timed in all; the rest of the pass is untimed work (the ViT patch embedding, pooling, copies)");

        Path onnx = weights.resolveSibling(weights.getFileName() + ".onnx").resolve("image.onnx");
        if (!Files.exists(onnx)) {
            System.out.println("\n(no ONNX export at " + onnx + ": run bin/clip bench on these weights once to write it)");
            return;
        }
        printOrtProfile(onnx, pixels, n, r, seconds, top);
    }

    /** Runs body for about {@code seconds} (at least twice); returns the number of calls. */
    private static int loop(Runnable body, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int calls = 0;
        while (calls < 2 || System.nanoTime() < end) {
            body.run();
            calls++;
        }
        return calls;
    }

    /** ONNX Runtime with profiling on (the bench's options and threads): per node, after warm-up. */
    private static void printOrtProfile(Path onnx, float[] pixels, int n, int r, double seconds, int top) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path dir = Files.createTempDirectory("ortprof");
        try (OrtSession.SessionOptions o = ClipBench.ortOptions(Parallel.THREADS)) {
            o.enableProfiling(dir.resolve("ort").toString());
            Path file;
            int warm, all;
            try (OrtSession s = env.createSession(onnx.toString(), o);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {n, 3, r, r})) {
                Runnable run = () -> ClipBench.run(s, "pixels", t);
                warm = loop(run, seconds);
                all = warm + loop(run, seconds);
                file = Path.of(s.endProfiling());
            }
            JsonNode events = new ObjectMapper().readTree(file.toFile());
            // Node kernel times from the runs after warm-up (model_run events mark the runs in order).
            List<Long> runStarts = new ArrayList<>();
            for (JsonNode e : events) if ("model_run".equals(e.path("name").asText())) runStarts.add(e.path("ts").asLong());
            if (runStarts.size() < all) throw new IllegalStateException("ONNX Runtime profile holds " + runStarts.size() + " runs, expected " + all);
            long from = runStarts.get(warm);
            int timed = all - warm;
            Map<String, Double> byNode = new HashMap<>();
            double total = 0;
            for (JsonNode e : events) {
                String name = e.path("name").asText();
                if (!"Node".equals(e.path("cat").asText()) || !name.endsWith("_kernel_time") || e.path("ts").asLong() < from) continue;
                String label = e.path("args").path("op_name").asText() + " " + name.substring(0, name.length() - "_kernel_time".length());
                double ms = e.path("dur").asDouble() / 1e3 / timed;
                byNode.merge(label, ms, Double::sum);
                total += ms;
            }
            print(String.format(Locale.ROOT, "\nONNX Runtime, batch %d: %.2f ms of node kernels per pass", n, total),
                    new ArrayList<>(byNode.entrySet()), total, top, "in all");
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void print(String title, List<Map.Entry<String, Double>> rows, double passMs, int top, String footer) {
        rows.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        System.out.println(title);
        double timed = 0;
        for (var e : rows) timed += e.getValue();
        for (int i = 0; i < Math.min(top, rows.size()); i++) {
            var e = rows.get(i);
            System.out.printf(Locale.ROOT, "%9.3f ms %5.1f %%  %s%n", e.getValue(), 100 * e.getValue() / passMs, e.getKey());
        }
        if (rows.size() > top) System.out.printf(Locale.ROOT, "  (%d more)%n", rows.size() - top);
        System.out.printf(Locale.ROOT, "%9.3f ms %5.1f %%  %s%n", timed, 100 * timed / passMs, footer);
    }
}
