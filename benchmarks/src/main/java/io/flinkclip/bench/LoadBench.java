package io.flinkclip.bench;

import io.flinkclip.io.Progress;
import io.flinkclip.io.convert.ModelConverter;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.model.ClipModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Time to load a model for inference (open the file, then decode, check and pack every weight) with a loading switch
 * on against off, alternating in one JVM round by round (who goes first alternates; a full collection between loads),
 * because separate runs on this project's VMs differ by more than the effect. The switches: {@code
 * clip.load.parallelTowers} (the default; the two towers built on two threads, or one after the other) and {@code
 * clip.load.bits16} (16-bit weights packed from their stored values, or decoded to floats and narrowed back).
 *
 * <pre>bin/clip bench --load --weights W [--rounds N] [--switch clip.load.bits16]</pre>
 * W: a safetensors file, a native {@code .fclip} file or a Hugging Face directory.
 * Prints each way's median time and, as median [quartiles] of the per-round ratios, on / off (below 1: the switch
 * makes loading faster). The first round is a warm-up and not counted.
 */
public final class LoadBench {
    private LoadBench() {}

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, LoadBench::command);
    }

    static void command(String[] args) throws Exception {
        Path weights = null;
        int rounds = 11;
        String property = "clip.load.parallelTowers";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--load" -> { }
                case "--weights" -> weights = Path.of(BenchCommand.value(args, ++i));
                case "--rounds" -> rounds = BenchCommand.intValue(args, ++i);
                case "--switch" -> property = BenchCommand.value(args, ++i);
                case "--threads" -> i++; // read by bin/clip (-Dclip.threads)
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--weights W, --rounds N, --switch S)");
            }
        }
        if (weights == null) throw new IllegalArgumentException("--weights FILE is required");
        if (!Files.exists(weights)) throw new IllegalArgumentException("no such weights file: " + weights);
        if (rounds < 5) throw new IllegalArgumentException("--rounds must be at least 5");
        if (!SWITCHES.contains(property)) throw new IllegalArgumentException("--switch must be one of " + SWITCHES);
        String before = System.getProperty(property);
        List<Double> on = new ArrayList<>(), off = new ArrayList<>(), ratio = new ArrayList<>();
        try {
            for (int r = 0; r < rounds; r++) {
                double[] t = new double[2]; // [on, off]
                for (int side : r % 2 == 0 ? new int[] {0, 1} : new int[] {1, 0}) t[side] = load(weights, property, side == 0);
                if (r == 0) continue;
                on.add(t[0]);
                off.add(t[1]);
                ratio.add(t[0] / t[1]);
            }
        } finally {
            if (before == null) System.clearProperty(property);
            else System.setProperty(property, before);
        }
        System.out.printf(Locale.ROOT, "%s: load for inference, median of %d rounds: %s=true %.3f s, =false %.3f s; "
                        + "true / false per round %.3f [%.3f..%.3f]%n", weights.getFileName(), ratio.size(), property, median(on),
                median(off), median(ratio), quantile(ratio, 0.25), quantile(ratio, 0.75));
    }

    /** The loading switches this bench can compare (each read by the loader at every load). */
    private static final List<String> SWITCHES = List.of("clip.load.parallelTowers", "clip.load.bits16");

    /** Seconds to open the file and build the model with {@code property} set to {@code value}; the model is dropped after. */
    private static double load(Path weights, String property, boolean value) {
        System.setProperty(property, Boolean.toString(value));
        System.gc();
        long t0 = System.nanoTime();
        NativeModel m = ModelConverter.load(weights, null, Progress.NONE); // any format, tensors pending
        ClipModel model = ClipModel.forInference(m.weights(), m.config());
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
