package io.flinkclip.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.kernels.Parallel;
import io.flinkclip.training.ClipModelTrainable;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.job.ClipModelFactory;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.WeightDecayRule;

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
 * {@code bin/clip bench --train}: one contrastive training step (forward + backward of both towers, loss, global-norm
 * clipping, AdamW) of flink-clip against PyTorch eager ({@code bench/torch_clip.py train}: autograd + torch.optim.AdamW)
 * on the same OpenAI-initialised weights and batch shape, in one run.
 * <pre>bench --train [--models ViT-B/32,small] [--batch 32] [--steps 3] [--seconds 10] [--threads T] [--no-torch] [--cache DIR] [--json FILE]</pre>
 * Each side warms up for at least one step and 3 s, then times whole steps until both {@code --seconds} and
 * {@code --steps} are reached (a fixed 3 steps of the small model, ~0.1 s, moved the ratio by 2× between runs).
 * "small" is the Fashion-MNIST model of docs/TRAINING.md; any {@code init:} spec of {@link ClipModelFactory} works too.
 * Inputs: Gaussian pixels; texts of 16 tokens (SOT, 14 random ids, EOT) zero-padded to the context length. PyTorch runs
 * every position of the context; flink-clip's text tower stops at the batch's last EOT (exact under the causal mask).
 */
public final class TrainBench {
    static final String SMALL = "init:vit,res=28,patch=7,width=96,layers=3,embed=96,text-width=64,text-layers=2,context=16";

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, TrainBench::command);
    }

    static void command(String[] args) throws Exception {
        List<String> models = List.of("ViT-B/32", "small");
        int batch = 32, steps = 3;
        double seconds = 10;
        boolean torch = true;
        Path cache = Path.of("bench-cache"), json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--train" -> { }
                case "--models" -> models = List.of(BenchCommand.value(args, ++i).split(","));
                case "--batch" -> batch = BenchCommand.intValue(args, ++i);
                case "--steps" -> steps = BenchCommand.intValue(args, ++i);
                case "--seconds" -> seconds = BenchCommand.doubleValue(args, ++i);
                case "--threads" -> i++; // applied by bin/clip through -Dclip.threads
                case "--no-torch" -> torch = false;
                case "--cache" -> cache = Path.of(BenchCommand.value(args, ++i));
                case "--json" -> json = Path.of(BenchCommand.value(args, ++i));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (batch < 2 || steps < 1) throw new IllegalArgumentException("need --batch ≥ 2 and --steps ≥ 1");
        Files.createDirectories(cache);
        System.out.printf(Locale.ROOT, "flink-clip train bench: %d threads, batch %d, ≥ %d timed steps and ≥ %.0f s after ≥ 3 s of warm-up, %s%n",
                Parallel.THREADS, batch, steps, seconds, System.getProperty("os.arch") + " " + Runtime.version());
        Map<String, Object> results = new LinkedHashMap<>();
        List<String[]> rows = new ArrayList<>();
        for (String m : models) {
            ClipConfig cfg = m.equals("small") ? new ClipModelFactory(SMALL).config()
                    : m.startsWith("init:") ? new ClipModelFactory(m).config() : ClipArchitectures.get(m);
            String slug = (m.equals("small") ? "small-fashion" : m.startsWith("init:") ? "custom-" + Integer.toHexString(m.hashCode()) : m)
                    .replace('/', '-').replace('@', '-');
            StateDict sd = ClipInit.initialize(cfg, 0);
            Path weights = cache.resolve(slug + "-train.safetensors");
            if (torch && !Files.exists(weights)) SafeTensors.write(weights, sd);
            double ours = ours(sd, cfg, batch, steps, seconds);
            System.out.printf(Locale.ROOT, "%s flink-clip: %.2f pairs/s%n", m, ours);
            double pt = Double.NaN;
            if (torch) {
                try {
                    pt = torch(weights, batch, steps, seconds);
                    System.out.printf(Locale.ROOT, "%s pytorch:    %.2f pairs/s%n", m, pt);
                } catch (IllegalStateException e) {   // report the peer's failure, keep our figure
                    System.out.println(m + " pytorch: failed: " + e.getMessage());
                }
            }
            results.put(m, Map.of("flink_clip_pairs_per_s", ours, "pytorch_pairs_per_s", pt, "batch", batch));
            rows.add(new String[]{m, String.format(Locale.ROOT, "%.2f", ours), String.format(Locale.ROOT, "%.2f", pt),
                    String.format(Locale.ROOT, "%.2f", ours / pt)});
        }
        System.out.printf(Locale.ROOT, "%n## training step, batch %d (pairs/s; ratio = flink-clip / pytorch)%n", batch);
        System.out.printf(Locale.ROOT, "%-12s %12s %12s %8s%n", "model", "flink-clip", "pytorch", "ratio");
        for (String[] r : rows) System.out.printf(Locale.ROOT, "%-12s %12s %12s %8s%n", (Object[]) r);
        if (json != null) new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), results);
    }

    /** Mean pairs/s of full optimiser steps (≥ {@code steps} and ≥ {@code seconds}) after ≥ 3 s of warm-up. */
    /** The benchmarked trainer: whole batches, clip 1.0, a constant-like 1e-5 learning rate, open_clip's AdamW. */
    static ClipTrainer.Options options(int batch) {
        return new ClipTrainer.Options(batch, 1.0, new CosineSchedule(1e-5, 0, 1_000_000), AdamW.Hyper.openClipVit(), WeightDecayRule.openClip());
    }

    static double ours(StateDict sd, ClipConfig cfg, int batch, int steps, double seconds) {
        ClipModelTrainable model = new ClipModelTrainable(sd, cfg);
        ClipTrainer trainer = new ClipTrainer(model, options(batch));
        SplittableRandom rnd = new SplittableRandom(1);
        int r = cfg.imageResolution();
        float[] px = new float[batch * 3 * r * r];
        for (int i = 0; i < px.length; i++) px[i] = (float) rnd.nextGaussian();
        int[][] tokens = new int[batch][cfg.contextLength()];
        for (int[] t : tokens) {
            t[0] = 49406;
            for (int k = 1; k < 15; k++) t[k] = rnd.nextInt(300, 40000);
            t[15] = 49407;
        }
        long warmEnd = System.nanoTime() + 3_000_000_000L;
        do trainer.train(px, tokens); while (System.nanoTime() < warmEnd);
        long t0 = System.nanoTime(), minNanos = (long) (seconds * 1e9);
        int n = 0;
        do {
            trainer.train(px, tokens);
            n++;
        } while (n < steps || System.nanoTime() - t0 < minNanos);
        return (double) batch * n / ((System.nanoTime() - t0) / 1e9);
    }

    private static double torch(Path weights, int batch, int steps, double seconds) throws Exception {
        Path json = Files.createTempFile("torch-train", ".json");
        String script = System.getProperty("clip.bench.torchScript", "bench/torch_clip.py");
        // Same protocol as ours(): ≥ 3 s of warm-up, then whole steps for ≥ seconds and ≥ steps
        List<String> cmd = List.of(System.getProperty("clip.bench.python", "/usr/bin/python3"), script, "train", "--weights", weights.toString(),
                "--threads", "" + Parallel.THREADS, "--batch", "" + batch, "--steps", "" + steps, "--seconds", "" + seconds, "--warmup-seconds", "3", "--json", json.toString());
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(60, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("peer timed out: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) {   // 137 = killed (e.g. out of memory)
            throw new IllegalStateException("peer exited with " + p.exitValue() + ": " + String.join(" ", cmd) + " (needs python3-torch)");
        }
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        return n.get("train_pairs_per_s").asDouble();
    }
}
