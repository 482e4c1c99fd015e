package io.flinkclip.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.DType;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.kernels.Parallel;
import io.flinkclip.kernels.bench.FmaPeak;
import io.flinkclip.kernels.bench.GemmBench;
import io.flinkclip.model.ClipLoader;
import io.flinkclip.model.ClipModel;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/clip bench}: CLIP encoding speed of flink-clip against ONNX Runtime (Java, CPU) and PyTorch eager
 * (CPU) on the same weights in the same run, as ratios, plus our SGEMM speed at CLIP shapes (the yardstick
 * for "fraction of GEMM speed") and, last, that SGEMM against ONNX Runtime's on the same shapes. Weights are
 * random (OpenAI init), stored as fp16 by default because that is how OpenAI releases CLIP: flink-clip then keeps
 * its linear layers in 16 bits (lossless, {@code PackedMatrix.compact}); the peers read the same file and compute
 * in fp32 on the same values. {@code --weights-dtype f32} draws fp32 values instead (every engine in fp32).
 * flink-clip and ONNX Runtime run each workload alternately, in rounds of about half a second ({@code timePair}), so the
 * ratio between them holds through the slow phases of a shared machine; PyTorch runs afterwards in its own process.
 *
 * <pre>bench [--models ViT-B/32,RN50] [--seconds S] [--threads T] [--no-ort] [--no-torch] [--gemm-last] [--cache DIR]
 *       [--weights-dtype f16|f32] [--json FILE]</pre>
 * {@code --gemm-last} measures the models before the SGEMM table, to check that the figures do not depend on what
 * the JIT compiled first (the ResNet's old in-place conv kernel came out up to 1.5× slower after the SGEMM section;
 * docs/BENCHMARKS.md).
 */
public final class ClipBench {
    private final double seconds;
    private final int threads;
    private final Path cache;
    private final DType weightsDtype;
    private final Map<String, Object> results = new LinkedHashMap<>();

    private ClipBench(double seconds, int threads, Path cache, DType weightsDtype) {
        this.seconds = seconds;
        this.weightsDtype = weightsDtype;
        this.threads = threads;
        this.cache = cache;
    }

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, ClipBench::command);
    }

    static void command(String[] args) throws Exception {
        List<String> models = List.of("ViT-B/32", "RN50");
        double seconds = 5;
        boolean ort = true, torch = true, gemmLast = false;
        Path cache = Path.of("bench-cache"), json = null;
        DType dtype = DType.F16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> models = List.of(BenchCommand.value(args, ++i).split(","));
                case "--seconds" -> seconds = BenchCommand.doubleValue(args, ++i);
                case "--threads" -> i++; // applied by bin/clip through -Dclip.threads
                case "--no-ort" -> ort = false;
                case "--no-torch" -> torch = false;
                case "--gemm-last" -> gemmLast = true;
                case "--cache" -> cache = Path.of(BenchCommand.value(args, ++i));
                case "--weights-dtype" -> dtype = switch (BenchCommand.value(args, ++i)) {
                    case "f16" -> DType.F16;
                    case "f32" -> DType.F32;
                    default -> throw new IllegalArgumentException("--weights-dtype must be f16 or f32");
                };
                case "--json" -> json = Path.of(BenchCommand.value(args, ++i));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        for (String m : models) ClipArchitectures.get(m); // an unknown name fails now, not after the SGEMM table
        Files.createDirectories(cache);
        ClipBench b = new ClipBench(seconds, Parallel.THREADS, cache, dtype);
        System.out.printf(Locale.ROOT, "flink-clip bench: %d threads, %.1fs per measurement, %s%n", b.threads, seconds,
                System.getProperty("os.arch") + " " + Runtime.version());
        List<Measured> measured = new java.util.ArrayList<>();
        double gemm = gemmLast ? Double.NaN : b.gemm();
        for (String m : models) {
            Measured x = b.model(m, ort, torch);
            if (!gemmLast) b.report(x, gemm);
            measured.add(x);
        }
        if (gemmLast) {
            gemm = b.gemm();
            for (Measured x : measured) b.report(x, gemm);
        }
        // Last, so that ONNX Runtime sessions run here cannot touch the figures above (with this table first, one
        // later figure, RN50's 77-token texts, read 37 instead of 45–48 texts/s in two runs).
        if (ort) b.gemmAgainstOrt();
        if (json != null) new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), b.results);
    }

    /** CLIP's linear-layer shapes: ViT-B/32 on 32 images (1600 tokens) and the text tower on 32 × 77 tokens. */
    private static final int[][] GEMM_SHAPES = {{1600, 2304, 768}, {1600, 3072, 768}, {1600, 768, 3072}, {77 * 32, 1536, 512}, {77 * 32, 2048, 512}};

    /** Best packed-SGEMM GFLOP/s over {@link #GEMM_SHAPES}: the machine yardstick (the mean is returned). */
    private double gemm() throws InterruptedException {
        System.out.println("\n## SGEMM at CLIP shapes (C = A·Bᵀ, GFLOP/s)");
        System.out.printf(Locale.ROOT, "%-18s %10s %10s%n", "M x N x K", "nt", "packed");
        double sum = 0;
        Map<String, Object> g = new LinkedHashMap<>();
        for (int[] s : GEMM_SHAPES) {
            double[] r = GemmBench.measure(s[0], s[1], s[2], Math.min(seconds, 2));
            System.out.printf(Locale.ROOT, "%-18s %10.1f %10.1f%n", s[0] + "x" + s[1] + "x" + s[2], r[0], r[1]);
            g.put(s[0] + "x" + s[1] + "x" + s[2], r[1]);
            sum += r[1];
        }
        double mean = sum / GEMM_SHAPES.length;
        g.put("mean_packed", mean);
        // The VM's FMA ceiling moves with its phase (2 × 166–204 GFLOP/s measured, not the 480 a 3.75 GHz clock
        // would give): measured here, right after the table, so the SGEMM figure can be read against it.
        double peak = FmaPeak.measure(threads, Math.min(seconds, 2));
        g.put("fma_peak", peak);
        results.put("gemm_gflops", g);
        System.out.printf(Locale.ROOT, "mean packed SGEMM: %.1f GFLOP/s = %.0f %% of the measured FMA peak (%.1f GFLOP/s, %d threads)%n",
                mean, 100 * mean / peak, peak, threads);
        return mean;
    }

    /** Our packed SGEMM against ONNX Runtime's MLAS on the same shapes, back to back per shape (best call each). */
    private void gemmAgainstOrt() throws Exception {
        System.out.println("\n## SGEMM: flink-clip vs ONNX Runtime (one exported nn.Linear per shape, GFLOP/s)");
        System.out.printf(Locale.ROOT, "%-18s %10s %10s %10s%n", "M x N x K", "packed", "ORT", "vs ORT");
        Map<String, Object> g = new LinkedHashMap<>();
        for (int[] s : GEMM_SHAPES) {
            String shape = s[0] + "x" + s[1] + "x" + s[2];
            double ours = GemmBench.measurePacked(s[0], s[1], s[2], Math.min(seconds, 2)), peer = ortLinear(s[0], s[1], s[2]);
            System.out.printf(Locale.ROOT, "%-18s %10.1f %10.1f %9.2fx%n", shape, ours, peer, ours / peer);
            g.put(shape, Map.of("flink_clip", ours, "onnxruntime", peer));
        }
        results.put("gemm_vs_onnxruntime", g);
    }

    /** ONNX Runtime's GFLOP/s on y = x·Wᵀ + b with x [m, k], W [n, k] (one Linear exported by bench/torch_clip.py). */
    private double ortLinear(int m, int n, int k) throws Exception {
        Path model = cache.resolve("linear-" + m + "x" + n + "x" + k + ".onnx");
        if (!Files.exists(model)) python("export-linear", "--shape", m + "," + n + "," + k, "--out", model.toString());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = ortOptions(threads)) {
            try (OrtSession session = env.createSession(model.toString(), o)) {
                float[] x = new float[m * k];
                SplittableRandom rnd = new SplittableRandom(3);
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {m, k})) {
                    return 2.0 * m * n * k / GemmBench.best(() -> run(session, "x", t), Math.min(seconds, 2)) / 1e9;
                }
            }
        }
    }

    /** onnxSpread: per workload, the median and quartiles of the per-round ratio ours / ORT (items/s). */
    private record Measured(String arch, ClipConfig cfg, Map<String, Double> ours, Map<String, Double> onnx,
                            Map<String, double[]> onnxSpread, Map<String, Double> pt) {}

    private Measured model(String arch, boolean ort, boolean torch) throws Exception {
        ClipConfig cfg = ClipArchitectures.get(arch);
        String slug = arch.replace('/', '-').replace('@', '-');
        // fp32 keeps the name earlier sessions' caches used.
        Path weights = cache.resolve(slug + (weightsDtype == DType.F32 ? "" : "-" + weightsDtype.name().toLowerCase(Locale.ROOT)) + ".safetensors");
        if (!Files.exists(weights)) {
            System.out.println("initialising " + arch + " weights (OpenAI init, seed 0, " + weightsDtype + ") → " + weights);
            SafeTensors.write(weights, ClipInit.initialize(cfg, 0, weightsDtype));
        }
        ClipModel model = (ClipModel) ClipLoader.fromSafetensors(weights, null, ClipLoader.Overrides.NONE).encoder();
        System.out.printf(Locale.ROOT, "%s: %s weights, flink-clip packed %.0f MB of them, %.0f MB in 16 bits%n", arch,
                weightsDtype, model.packedWeightBytes() / 1e6, model.packedWeightBytes16() / 1e6);
        int r = cfg.imageResolution();
        SplittableRandom rnd = new SplittableRandom(1);
        Map<String, Double> ours = new LinkedHashMap<>(), onnx = new LinkedHashMap<>(), pt = new LinkedHashMap<>();
        Map<String, double[]> onnxSpread = new LinkedHashMap<>();
        int[][] shortTexts = texts(32, 7, rnd), fullTexts = texts(32, 77, rnd);
        Map<String, Runnable> workloads = new LinkedHashMap<>();
        Map<String, Integer> items = new LinkedHashMap<>();
        Map<String, float[]> pixels = new LinkedHashMap<>();
        for (int batch : new int[] {1, 32}) {
            float[] px = new float[batch * 3 * r * r];
            for (int i = 0; i < px.length; i++) px[i] = (float) rnd.nextGaussian();
            pixels.put("image_b" + batch, px);
            workloads.put("image_b" + batch, () -> model.encodeImages(px, batch));
            items.put("image_b" + batch, batch);
        }
        // One short prompt per call: a search query as it arrives in a stream (the peers run its 77 positions).
        int[][] query = texts(1, 7, rnd);
        workloads.put("text_short", () -> model.encodeTexts(shortTexts));
        workloads.put("text_query", () -> model.encodeTexts(query));
        workloads.put("text_full", () -> model.encodeTexts(fullTexts));
        items.put("text_short", 32);
        items.put("text_query", 1);
        items.put("text_full", 32);
        if (ort) {
            // Each workload alternates between the two engines in rounds (see timePair), so a slow phase of the
            // machine lands on both instead of on whichever ran then.
            try (OrtWorkloads peer = new OrtWorkloads(weights, cfg, pixels, Map.of("text_short", shortTexts, "text_query", query, "text_full", fullTexts))) {
                for (String k : workloads.keySet()) {
                    double[] t = timePair(workloads.get(k), peer.workloads.get(k));
                    ours.put(k, items.get(k) / t[0]);
                    onnx.put(k, items.get(k) / t[1]);
                    onnxSpread.put(k, new double[] {t[2], t[3], t[4]});
                }
            }
            System.out.println(arch + " flink-clip items/s: " + ours);
            System.out.println(arch + " onnxruntime items/s: " + onnx);
        } else {
            for (String k : workloads.keySet()) ours.put(k, items.get(k) / time(workloads.get(k)));
            System.out.println(arch + " flink-clip items/s: " + ours);
        }
        if (torch) {
            pt = torch(weights);
            System.out.println(arch + " pytorch items/s: " + pt);
        }
        return new Measured(arch, cfg, ours, onnx, onnxSpread, pt);
    }

    /** Prints one model's table: items/s, ratios to the peers, and the fraction of our GEMM speed. */
    private void report(Measured r, double gemm) {
        String arch = r.arch();
        ClipConfig cfg = r.cfg();
        Map<String, Double> ours = r.ours(), onnx = r.onnx(), pt = r.pt();
        double imgFlops = cfg.isResNet() ? Flops.resnetImage(cfg) : Flops.vitImage(cfg);
        System.out.printf(Locale.ROOT, "%n## %s (items/s; ratios = flink-clip / peer)%n", arch);
        // "vs ORT" divides the two medians over calls; "per round" is the median and quartiles of the ratio within each
        // round (the engines back to back), which a slow phase of the machine moves less.
        System.out.printf(Locale.ROOT, "%-12s %12s %12s %12s %10s %22s %10s %12s%n", "workload", "flink-clip", "onnxruntime",
                "pytorch", "vs ORT", "per round [q1..q3]", "vs torch", "% of GEMM");
        Map<String, Object> m = new LinkedHashMap<>();
        double[] none = {Double.NaN, Double.NaN, Double.NaN};
        for (String k : ours.keySet()) {
            double o = ours.get(k), x = onnx.getOrDefault(k, Double.NaN), t = pt.getOrDefault(k, Double.NaN);
            double[] q = r.onnxSpread().getOrDefault(k, none);
            double flops = k.startsWith("image") ? imgFlops : Flops.text(cfg, k.equals("text_full") ? 77 : 7);
            double pctGemm = 100 * o * flops / 1e9 / gemm;
            System.out.printf(Locale.ROOT, "%-12s %12.2f %12.2f %12.2f %9.2fx %22s %9.2fx %11.0f%%%n", k, o, x, t, o / x,
                    String.format(Locale.ROOT, "%.2fx [%.2f..%.2f]", q[0], q[1], q[2]), o / t, pctGemm);
            m.put(k, Map.of("flink_clip", o, "onnxruntime", x, "pytorch", t, "pct_of_gemm", pctGemm,
                    "vs_onnxruntime_rounds", Map.of("median", q[0], "q1", q[1], "q3", q[2])));
        }
        results.put(arch, m);
    }

    private static int[][] texts(int n, int len, SplittableRandom rnd) { return texts(n, len, 77, rnd); }

    /** n token rows: SOT, len − 2 random ids, EOT, zero padding to {@code context}. */
    static int[][] texts(int n, int len, int context, SplittableRandom rnd) {
        int[][] t = new int[n][context];
        for (int[] row : t) {
            row[0] = 49406;
            for (int i = 1; i < len - 1; i++) row[i] = 300 + rnd.nextInt(39700);
            row[len - 1] = 49407;
        }
        return t;
    }

    /**
     * Seconds per call: warm-up of at least 2 calls and 40 % of the time budget, longer while the JIT is still
     * compiling ({@link #warm}), then repeat for the budget (at least 3 calls) and take the median. One warm-up call
     * was not enough after another model had run in the same JVM: RN50 batch 32 after ViT-B/32 read 25.1 images/s
     * against 30.3 alone, because C2 was still recompiling the kernels whose profiles the first model had shaped
     * (deoptimisations logged for several seconds).
     */
    private double time(Runnable r) {
        warm(r);
        List<Double> ts = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (ts.size() < 3 || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            r.run();
            ts.add((System.nanoTime() - t0) / 1e9);
        }
        return median(ts);
    }

    /** ONNX Runtime sessions on the same weights (exported once by bench/torch_clip.py) and one runnable per workload. */
    private final class OrtWorkloads implements AutoCloseable {
        final Map<String, Runnable> workloads = new LinkedHashMap<>();
        private final List<AutoCloseable> open = new ArrayList<>();

        OrtWorkloads(Path weights, ClipConfig cfg, Map<String, float[]> pixels, Map<String, int[][]> texts) throws Exception {
            Path dir = weights.resolveSibling(weights.getFileName() + ".onnx");
            if (!Files.exists(dir.resolve("text.onnx"))) {
                Files.createDirectories(dir);
                python("export", "--weights", weights.toString(), "--out-dir", dir.toString());
            }
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions o = add(ortOptions(threads));
            int r = cfg.imageResolution();
            OrtSession img = add(env.createSession(dir.resolve("image.onnx").toString(), o));
            OrtSession txt = add(env.createSession(dir.resolve("text.onnx").toString(), o));
            for (var e : pixels.entrySet()) {
                int batch = e.getValue().length / (3 * r * r);
                OnnxTensor t = add(OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()), new long[] {batch, 3, r, r}));
                workloads.put(e.getKey(), () -> run(img, "pixels", t));
            }
            for (var e : texts.entrySet()) {
                int n = e.getValue().length;
                long[] flat = new long[n * 77];
                for (int i = 0; i < n; i++) for (int j = 0; j < 77; j++) flat[i * 77 + j] = e.getValue()[i][j];
                OnnxTensor t = add(OnnxTensor.createTensor(env, LongBuffer.wrap(flat), new long[] {n, 77}));
                workloads.put(e.getKey(), () -> run(txt, "tokens", t));
            }
        }

        private <T extends AutoCloseable> T add(T resource) {
            open.add(resource);
            return resource;
        }

        @Override
        public void close() throws Exception {
            for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
        }
    }

    /**
     * Seconds per call of a and of b, measured alternately, then the median and quartiles of the per-round ratio
     * (time of b / time of a, i.e. a's speed over b's): both warm up as in {@link #time}, then the budget is cut into
     * rounds in which a runs, then b (at least one call each, a pause between them so the other engine's spinning
     * threads have gone idle); each time is the median of its calls over all rounds. On this project's shared 2-core
     * VMs a whole model's figure moved ±10–20 % between runs, in phases of tens of seconds: the quartiles say how far
     * one run's ratio can be trusted.
     */
    private double[] timePair(Runnable a, Runnable b) {
        double callA = warm(a);
        pause();
        double callB = warm(b);
        pause();
        List<Double> ta = new ArrayList<>(), tb = new ArrayList<>();
        // Rounds of about half a second (at least one call per engine, at least 3 rounds), so the per-round ratio
        // has enough samples for quartiles where calls are short.
        int rounds = Math.max(3, (int) Math.min(2 * seconds, seconds / Math.max(callA, callB)));
        double[] ratio = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            int fromA = ta.size(), fromB = tb.size();
            calls(a, seconds / rounds, ta);
            pause();
            calls(b, seconds / rounds, tb);
            pause();
            ratio[round] = median(tb.subList(fromB, tb.size())) / median(ta.subList(fromA, ta.size()));
        }
        double[] q = AbRounds.spread(ratio);
        return new double[] {median(ta), median(tb), q[0], q[1], q[2]};
    }

    /**
     * Warm-up calls as {@link #time} describes, and then until the JIT has been quiet (no compilation finished) for
     * {@link #JIT_QUIET_NANOS}, at most {@link #WARM_CAP_SECONDS}; returns the last call's seconds. On two cores C2
     * competes with the timed threads, and 40 % of a 5 s budget left ViT-B/32's core kernels (Sgemm.block,
     * Transpose.rows12, the attention methods) to be compiled at tier 4 during the first timed round: its calls took
     * 140–190 ms against 45–65 ms later (`-XX:+PrintCompilation`), which only the flink-clip side of a pair pays.
     */
    private double warm(Runnable r) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime(), budgetEnd = start + (long) (0.4 * seconds * 1e9);
        long cap = start + (long) (Math.max(WARM_CAP_SECONDS, 0.4 * seconds) * 1e9);
        long jitTime = jitTimed ? jit.getTotalCompilationTime() : 0, quietSince = start;
        double last = 0;
        for (int calls = 1; ; calls++) {
            long t0 = System.nanoTime();
            r.run();
            long t1 = System.nanoTime();
            last = (t1 - t0) / 1e9;
            long compiled = jitTimed ? jit.getTotalCompilationTime() : 0;
            if (compiled != jitTime) {
                jitTime = compiled;
                quietSince = t1;
            }
            boolean quiet = !jitTimed || t1 - quietSince >= JIT_QUIET_NANOS;
            if (calls >= 2 && t1 >= budgetEnd && quiet || t1 >= cap) return last;
        }
    }

    /** How long no JIT compilation may finish before a warm-up counts as done. */
    private static final long JIT_QUIET_NANOS = 1_000_000_000L;
    /** Longest warm-up when the JIT never goes quiet (for as long as 40 % of the budget if that is longer). */
    private static final double WARM_CAP_SECONDS = 20;

    /** Runs r for about {@code budget} seconds (at least once), adding each call's seconds to ts. */
    private static void calls(Runnable r, double budget, List<Double> ts) {
        long end = System.nanoTime() + (long) (budget * 1e9);
        do {
            long t0 = System.nanoTime();
            r.run();
            ts.add((System.nanoTime() - t0) / 1e9);
        } while (System.nanoTime() < end);
    }

    private static double median(List<Double> ts) {
        List<Double> sorted = new ArrayList<>(ts);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    /**
     * Lets the other engine's threads go idle before the next one runs: ONNX Runtime's workers spin after a run, and
     * right after an ORT pass our first layers ran slower (`--layers`, ViT-B/32 batch 32, no pause: the patch
     * embedding 39 instead of 30 ms, the embedding sum 9 instead of 1.6 ms).
     */
    static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The peer's settings for every ONNX Runtime measurement: {@code threads} intra-op threads, all graph optimisations. */
    static OrtSession.SessionOptions ortOptions(int threads) throws ai.onnxruntime.OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return o;
    }

    static void run(OrtSession s, String input, OnnxTensor t) {
        try (OrtSession.Result r = s.run(Map.of(input, t))) {
            if (r.size() != 1) throw new IllegalStateException("unexpected ONNX outputs");
        } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Double> torch(Path weights) throws Exception {
        Path json = Files.createTempFile("torch-bench", ".json");
        python("bench", "--weights", weights.toString(), "--threads", "" + threads, "--seconds", "" + seconds,
                "--warmup-seconds", "" + 0.4 * seconds, "--json", json.toString());
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("image_b1", 1 / n.get("image_b1_s").asDouble());
        out.put("image_b32", 1 / n.get("image_b32_s").asDouble());
        out.put("text_short", 1 / n.get("text_short_s").asDouble());
        out.put("text_query", 1 / n.get("text_query_s").asDouble());
        out.put("text_full", 1 / n.get("text_full_s").asDouble());
        return out;
    }

    /** Runs bench/torch_clip.py with Debian's python3-torch (the peer is not part of the product). */
    static void python(String... args) throws IOException, InterruptedException {
        String script = System.getProperty("clip.bench.torchScript", "bench/torch_clip.py");
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("clip.bench.python", "/usr/bin/python3"), script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("peer failed: " + String.join(" ", cmd) + " (needs python3-torch: apt-get install python3-torch python3-onnx)");
        }
    }
}
