package io.flinkclip.bench;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.model.ClipModel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Peak resident memory of CLIP inference: a fresh JVM loads a safetensors checkpoint with
 * {@link ClipModel#forInference}, encodes one image and reports VmHWM from /proc/self/status, as a multiple
 * of the fp32 weight size. Without {@code --weights}, random weights of {@code --arch} (OpenAI init, seed 0) are
 * written once to a cache file.
 *
 * <pre>bin/clip bench --memory [--arch ViT-B/32 | --weights FILE] [--xmx 700m] [--eager] [--min-heap]</pre>
 * {@code --eager} reads the whole checkpoint to floats before building (the loader before tensors were decoded
 * on demand), for comparison. {@code --min-heap} searches, by bisection over fresh JVMs, the smallest {@code -Xmx}
 * (to 2 %) in which the model loads and encodes, below {@code --xmx} (default then 16g): what a TaskManager must
 * budget for the model. Linux only (reads /proc). The parent process writes the weights if needed and measures in
 * child JVMs, so its own memory does not count.
 */
public final class PeakMemory {
    private PeakMemory() {}

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, PeakMemory::command);
    }

    /** What one child JVM did: whether it ran, its VmHWM and the model's fp32 bytes, its other output lines. */
    private record Run(boolean ran, boolean outOfMemory, long hwmKb, long fp32Bytes, List<String> lines) {}

    static void command(String[] args) throws Exception {
        String arch = "ViT-B/32", xmx = null;
        Path weights = null;
        boolean child = false, eager = false, minHeap = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--memory" -> { } // the bin/clip bench selector
                case "--threads" -> i++; // applied by bin/clip through -Dclip.threads
                case "--arch" -> arch = BenchCommand.value(args, ++i);
                case "--weights" -> weights = Path.of(BenchCommand.value(args, ++i));
                case "--xmx" -> xmx = BenchCommand.value(args, ++i);
                case "--child" -> child = true;
                case "--eager" -> eager = true;
                case "--min-heap" -> minHeap = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (child) {
            measure(weights, eager);
            return;
        }
        if (xmx == null) xmx = minHeap ? "16g" : "700m";
        long xmxMb = megabytes(xmx);
        if (weights == null) ClipArchitectures.get(arch); // an unknown name fails here, before any work
        // The report names the model: the file given, else the architecture whose random weights are written.
        String label = weights != null ? weights.getFileName().toString() : arch;
        if (weights == null) weights = Path.of(System.getProperty("java.io.tmpdir"), "flink-clip-" + arch.replace('/', '-') + "-seed0.safetensors");
        else if (!Files.isRegularFile(weights)) throw new IllegalArgumentException("no such weights file: " + weights);
        if (!Files.exists(weights)) {
            System.out.println("writing " + arch + " random weights (OpenAI init, seed 0) → " + weights);
            SafeTensors.write(weights, ClipInit.initialize(ClipArchitectures.get(arch), 0));
        }
        String how = eager ? " (decoded whole before building)" : "";
        if (!minHeap) {
            Run r = run(weights, xmxMb, eager);
            r.lines.forEach(System.out::println);
            requireRan(r, xmxMb);
            System.out.printf(Locale.ROOT, "%s%s: weights %.0f MB as fp32 (file %.0f MB), peak RSS (VmHWM, -Xmx%s) %.0f MB = %.2f× the fp32 weights%n",
                    label, how, r.fp32Bytes / 1e6, Files.size(weights) / 1e6, xmx, r.hwmKb * 1024 / 1e6, r.hwmKb * 1024.0 / r.fp32Bytes);
            return;
        }
        // Bisection over fresh JVMs: hi runs, lo does not (a failure other than running out of heap is an error).
        Run best = run(weights, xmxMb, eager);
        requireRan(best, xmxMb);
        long lo = 16, hi = xmxMb;
        System.out.printf(Locale.ROOT, "-Xmx%dm: runs, peak RSS %.0f MB%n", hi, best.hwmKb * 1024 / 1e6);
        while (hi - lo > Math.max(8, hi / 50)) {
            long mid = (lo + hi) / 2;
            Run r = run(weights, mid, eager);
            if (r.ran) {
                hi = mid;
                best = r;
                System.out.printf(Locale.ROOT, "-Xmx%dm: runs, peak RSS %.0f MB%n", mid, r.hwmKb * 1024 / 1e6);
            } else if (r.outOfMemory) {
                lo = mid;
                System.out.printf(Locale.ROOT, "-Xmx%dm: out of memory%n", mid);
            } else {
                r.lines.forEach(System.out::println);
                throw new IllegalStateException("measurement JVM failed at -Xmx" + mid + "m, not for lack of heap");
            }
        }
        System.out.printf(Locale.ROOT, "%s%s: weights %.0f MB as fp32 (file %.0f MB); smallest heap that loads and encodes: -Xmx%dm "
                        + "(-Xmx%dm runs out), peak RSS there %.0f MB = %.2f× the fp32 weights%n", label, how, best.fp32Bytes / 1e6,
                Files.size(weights) / 1e6, hi, lo, best.hwmKb * 1024 / 1e6, best.hwmKb * 1024.0 / best.fp32Bytes);
    }

    private static void requireRan(Run r, long xmxMb) {
        if (!r.ran) {
            if (!r.outOfMemory) r.lines.forEach(System.out::println);
            throw new IllegalArgumentException("the model does not load and encode in -Xmx" + xmxMb + "m"
                    + (r.outOfMemory ? " (out of memory): give a larger --xmx" : " (see the output above)"));
        }
    }

    /** "700m", "2g", "1024k" or bytes, in MB (rounded up). */
    static long megabytes(String size) {
        String s = size.trim().toLowerCase(Locale.ROOT);
        long unit = s.endsWith("g") ? 1L << 30 : s.endsWith("m") ? 1L << 20 : s.endsWith("k") ? 1L << 10 : 1;
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            long bytes = Math.multiplyExact(Long.parseLong(digits), unit);
            if (bytes < 16L << 20) throw new IllegalArgumentException("--xmx " + size + " is below 16m");
            return (bytes + (1L << 20) - 1) >> 20;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("--xmx needs a heap size such as 700m or 2g, got '" + size + "'");
        }
    }

    private static Run run(Path weights, long xmxMb, boolean eager) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + xmxMb + "m", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path")));
        for (String key : System.getProperties().stringPropertyNames()) { // -Dclip.* settings reach the measured JVM
            if (key.startsWith("clip.")) cmd.add("-D" + key + "=" + System.getProperty(key));
        }
        cmd.addAll(List.of(PeakMemory.class.getName(), "--child", "--weights", weights.toString()));
        if (eager) cmd.add("--eager");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long hwm = -1, fp32 = -1;
        boolean oom = false;
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("VmHWM_kB=")) hwm = Long.parseLong(line.substring(9).trim());
                else if (line.startsWith("FP32_BYTES=")) fp32 = Long.parseLong(line.substring(11).trim());
                else if (!line.startsWith("WARNING: Using incubator")) lines.add(line);
                if (line.contains("java.lang.OutOfMemoryError")) oom = true;
            }
        }
        boolean ran = p.waitFor() == 0 && hwm >= 0 && fp32 >= 0;
        return new Run(ran, !ran && oom, hwm, fp32, lines);
    }

    private static void measure(Path weights, boolean eager) throws IOException {
        long t0 = System.nanoTime();
        // As ClipLoader loads safetensors: tensors pending, each decoded as its layer packs it (--eager: all first).
        StateDict sd = eager ? SafeTensors.read(weights) : SafeTensors.open(weights);
        ClipConfig cfg = ClipConfig.infer(sd);
        long floats = sd.floatElements();
        ClipModel model = ClipModel.forInference(sd, cfg);
        sd = null;
        long t1 = System.nanoTime();
        int r = cfg.imageResolution();
        float[] px = new float[3 * r * r];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < px.length; i++) px[i] = (float) rnd.nextGaussian();
        float[] emb = model.encodeImages(px, 1)[0];
        long t2 = System.nanoTime();
        System.out.printf(Locale.ROOT, "load+pack %.1f s, encode 1 image %.2f s, embedding[0] = %.5f%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9, emb[0]);
        // What a long-running job keeps: the heap after a full collection, with the model still reachable.
        System.gc();
        Runtime rt = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "retained heap after GC %.0f MB; packed weights %.0f MB, of which %.0f MB in 16 bits%n",
                (rt.totalMemory() - rt.freeMemory()) / 1e6, model.packedWeightBytes() / 1e6, model.packedWeightBytes16() / 1e6);
        System.out.println("FP32_BYTES=" + 4 * floats);
        java.lang.ref.Reference.reachabilityFence(model);
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) System.out.println("VmHWM_kB=" + line.replaceAll("[^0-9]", ""));
        }
    }
}
