package io.flinkclip.bench;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.model.ClipModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Time to load a model for inference (open the file, then decode, check and pack every weight), with the two towers
 * built on two threads against one after the other ({@code clip.load.parallelTowers}), alternating in one JVM round
 * by round (who goes first alternates; a full collection between loads), because separate runs on this project's VMs
 * differ by more than the effect.
 *
 * <pre>bin/clip bench --load --weights W.safetensors [--rounds N]</pre>
 * Prints each way's median time and, as median [quartiles] of the per-round ratios, parallel / sequential (below 1:
 * building the towers at once is faster). The first round is a warm-up and not counted.
 */
public final class LoadBench {
    private LoadBench() {}

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, LoadBench::command);
    }

    static void command(String[] args) throws Exception {
        Path weights = null;
        int rounds = 11;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--load" -> { }
                case "--weights" -> weights = Path.of(BenchCommand.value(args, ++i));
                case "--rounds" -> rounds = BenchCommand.intValue(args, ++i);
                case "--threads" -> i++; // read by bin/clip (-Dclip.threads)
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--weights W, --rounds N)");
            }
        }
        if (weights == null) throw new IllegalArgumentException("--weights FILE is required");
        if (!Files.isRegularFile(weights)) throw new IllegalArgumentException("no such weights file: " + weights);
        if (rounds < 5) throw new IllegalArgumentException("--rounds must be at least 5");
        String before = System.getProperty("clip.load.parallelTowers");
        List<Double> parallel = new ArrayList<>(), sequential = new ArrayList<>(), ratio = new ArrayList<>();
        try {
            for (int r = 0; r < rounds; r++) {
                double[] t = new double[2]; // [parallel, sequential]
                for (int side : r % 2 == 0 ? new int[] {0, 1} : new int[] {1, 0}) t[side] = load(weights, side == 0);
                if (r == 0) continue;
                parallel.add(t[0]);
                sequential.add(t[1]);
                ratio.add(t[0] / t[1]);
            }
        } finally {
            if (before == null) System.clearProperty("clip.load.parallelTowers");
            else System.setProperty("clip.load.parallelTowers", before);
        }
        System.out.printf(Locale.ROOT, "%s: load for inference, median of %d rounds: towers in parallel %.3f s, one after the other %.3f s; "
                        + "parallel / sequential per round %.3f [%.3f..%.3f]%n", weights.getFileName(), ratio.size(), median(parallel),
                median(sequential), median(ratio), quantile(ratio, 0.25), quantile(ratio, 0.75));
    }

    /** Seconds to open the file and build the model, the towers at once or not; the model is dropped after. */
    private static double load(Path weights, boolean parallelTowers) {
        System.setProperty("clip.load.parallelTowers", Boolean.toString(parallelTowers));
        System.gc();
        long t0 = System.nanoTime();
        StateDict sd = SafeTensors.open(weights);
        ClipModel model = ClipModel.forInference(sd, ClipConfig.infer(sd));
        double s = (System.nanoTime() - t0) / 1e9;
        java.lang.ref.Reference.reachabilityFence(model);
        return s;
    }

    private static double median(List<Double> v) { return quantile(v, 0.5); }

    private static double quantile(List<Double> v, double q) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get((int) Math.round(q * (s.size() - 1)));
    }
}
