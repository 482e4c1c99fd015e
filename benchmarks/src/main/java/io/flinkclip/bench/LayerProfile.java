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
 * Both engines are warmed up for the given seconds each, then timed for twice as long with their passes alternating
 * (this VM has slow and fast phases of a minute or more: timed one after the other, the two engines' figures came
 * from different phases). Figures are milliseconds per pass, per layer and summed per kind of layer.
 */
public final class LayerProfile {
    private LayerProfile() {}

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, LayerProfile::command);
    }

    static void command(String[] args) throws Exception {
        Path weights = null;
        int batch = 1, top = 40;
        double seconds = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--layers" -> { }
                case "--weights" -> weights = Path.of(BenchCommand.value(args, ++i));
                case "--batch" -> batch = BenchCommand.intValue(args, ++i);
                case "--seconds" -> seconds = BenchCommand.doubleValue(args, ++i);
                case "--top" -> top = BenchCommand.intValue(args, ++i);
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
        Runnable ours = () -> model.encodeImages(pixels, n);

        Path onnx = weights.resolveSibling(weights.getFileName() + ".onnx").resolve("image.onnx");
        if (!Files.exists(onnx)) {
            loop(ours, seconds);
            Profile p = timeOurs(ours, seconds, null);
            p.print(n, top);
            System.out.println("\n(no ONNX export at " + onnx + ": run bin/clip bench on these weights once to write it)");
            return;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path dir = Files.createTempDirectory("ortprof");
        try (OrtSession.SessionOptions o = ClipBench.ortOptions(Parallel.THREADS)) {
            o.enableProfiling(dir.resolve("ort").toString());
            try (OrtSession s = env.createSession(onnx.toString(), o);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {n, 3, r, r})) {
                Runnable peer = () -> ClipBench.run(s, "pixels", t);
                loop(ours, seconds);
                int warm = loop(peer, seconds);
                // Timed passes alternate between the engines, so a slow or fast phase of the machine hits both.
                Profile p = timeOurs(ours, seconds * 2, peer);
                p.print(n, top);
                Path file = Path.of(s.endProfiling());
                printOrtProfile(file, warm, p.passes, n, top);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Our per-layer times over the timed passes; {@code passes} peer passes ran between them when a peer was given. */
    private record Profile(List<Map.Entry<String, Double>> layers, double passMs, int passes) {
        void print(int n, int top) {
            LayerProfile.print("flink-clip, batch " + n + ": " + String.format(Locale.ROOT, "%.2f", passMs) + " ms per pass",
                    new ArrayList<>(layers), passMs, top, "timed in all; the rest of the pass is untimed work (pooling, copies)");
            printKinds("flink-clip by kind of layer", layers, passMs);
        }
    }

    /** Times our passes with {@link LayerTimes} on for about {@code seconds}, one peer pass after each (when given). */
    private static Profile timeOurs(Runnable ours, double seconds, Runnable peer) {
        LayerTimes.reset();
        long end = System.nanoTime() + (long) (seconds * 1e9), own = 0;
        int passes = 0;
        while (passes < 2 || System.nanoTime() < end) {
            LayerTimes.enable(true);
            long t0 = System.nanoTime();
            ours.run();
            own += System.nanoTime() - t0;
            LayerTimes.enable(false);
            if (peer != null) {
                ClipBench.pause();
                peer.run();
                ClipBench.pause();
            }
            passes++;
        }
        List<Map.Entry<String, Double>> layers = new ArrayList<>();
        int np = passes;
        LayerTimes.snapshot().forEach((name, v) -> layers.add(Map.entry(name, v[1] / 1e6 / np)));
        return new Profile(layers, own / 1e6 / passes, passes);
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

    /**
     * ONNX Runtime's own per-node kernel times from its profile: the {@code timed} runs after the first {@code warm}
     * (model_run events mark the runs in order).
     */
    private static void printOrtProfile(Path file, int warm, int timed, int n, int top) throws Exception {
        JsonNode events = new ObjectMapper().readTree(file.toFile());
        List<Long> runStarts = new ArrayList<>();
        for (JsonNode e : events) if ("model_run".equals(e.path("name").asText())) runStarts.add(e.path("ts").asLong());
        if (runStarts.size() < warm + timed) {
            throw new IllegalStateException("ONNX Runtime profile holds " + runStarts.size() + " runs, expected " + (warm + timed));
        }
        long from = runStarts.get(warm);
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
        List<Map.Entry<String, Double>> nodes = new ArrayList<>(byNode.entrySet());
        print(String.format(Locale.ROOT, "\nONNX Runtime, batch %d: %.2f ms of node kernels per pass (passes alternating with ours)", n, total),
                nodes, total, top, "in all");
        printKinds("ONNX Runtime by kind of node", nodes, total);
    }

    /** Block and layer indices in a name (".11" in "resblocks.11.mlp", "layer1.0"), for summing repeated layers. */
    private static final java.util.regex.Pattern INDEX = java.util.regex.Pattern.compile("\\.\\d+(?=[./]|$)");

    /** Totals per kind of layer: names with their block indices replaced by "*", largest first. */
    static void printKinds(String title, List<Map.Entry<String, Double>> rows, double passMs) {
        Map<String, Double> kinds = new HashMap<>();
        for (var e : rows) kinds.merge(kindOf(e.getKey()), e.getValue(), Double::sum);
        List<Map.Entry<String, Double>> sorted = new ArrayList<>(kinds.entrySet());
        sorted.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        System.out.println("\n" + title + " (summed over blocks)");
        for (int i = 0; i < Math.min(KINDS_SHOWN, sorted.size()); i++) {
            var e = sorted.get(i);
            System.out.printf(Locale.ROOT, "%9.3f ms %5.1f %%  %s%n", e.getValue(), 100 * e.getValue() / passMs, e.getKey());
        }
        if (sorted.size() > KINDS_SHOWN) System.out.printf(Locale.ROOT, "  (%d more kinds)%n", sorted.size() - KINDS_SHOWN);
    }

    private static final int KINDS_SHOWN = 25;

    static String kindOf(String name) { return INDEX.matcher(name).replaceAll(".*"); }

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
