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
 * of the fp32 weight size. Weights are random (OpenAI init, seed 0), written once to the cache file.
 *
 * <pre>PeakMemory [--arch ViT-B/32] [--weights FILE] [--xmx 700m] [--eager]</pre>
 * {@code --eager} reads the whole checkpoint to floats before building (the loader before tensors were decoded
 * on demand), for comparison.
 * Linux only (reads /proc). The parent process writes the weights if needed and measures in a child JVM, so
 * its own memory does not count.
 */
public final class PeakMemory {
    private PeakMemory() {}

    public static void main(String[] args) throws Exception {
        String arch = "ViT-B/32", xmx = "700m";
        Path weights = null;
        boolean child = false, eager = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--arch" -> arch = args[++i];
                case "--weights" -> weights = Path.of(args[++i]);
                case "--xmx" -> xmx = args[++i];
                case "--child" -> child = true;
                case "--eager" -> eager = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        // The report names the model: the file given, else the architecture whose random weights are written.
        String label = weights != null ? weights.getFileName().toString() : arch;
        if (weights == null) weights = Path.of(System.getProperty("java.io.tmpdir"), "flink-clip-" + arch.replace('/', '-') + "-seed0.safetensors");
        if (child) {
            measure(weights, eager);
            return;
        }
        if (!Files.exists(weights)) {
            System.out.println("writing " + arch + " random weights (OpenAI init, seed 0) → " + weights);
            SafeTensors.write(weights, ClipInit.initialize(ClipArchitectures.get(arch), 0));
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + xmx, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path")));
        String threads = System.getProperty("clip.threads");
        if (threads != null) cmd.add("-Dclip.threads=" + threads);
        cmd.addAll(List.of(PeakMemory.class.getName(), "--child", "--weights", weights.toString()));
        if (eager) cmd.add("--eager");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long hwm = -1, fp32 = -1;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("VmHWM_kB=")) hwm = Long.parseLong(line.substring(9).trim());
                else if (line.startsWith("FP32_BYTES=")) fp32 = Long.parseLong(line.substring(11).trim());
                else if (!line.startsWith("WARNING: Using incubator")) System.out.println(line);
            }
        }
        if (p.waitFor() != 0 || hwm < 0 || fp32 < 0) throw new IllegalStateException("measurement JVM failed (exit " + p.exitValue() + ")");
        System.out.printf(Locale.ROOT, "%s%s: weights %.0f MB as fp32 (file %.0f MB), peak RSS (VmHWM, -Xmx%s) %.0f MB = %.2f× the fp32 weights%n",
                label, eager ? " (decoded whole before building)" : "", fp32 / 1e6, Files.size(weights) / 1e6, xmx, hwm * 1024 / 1e6, hwm * 1024.0 / fp32);
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
