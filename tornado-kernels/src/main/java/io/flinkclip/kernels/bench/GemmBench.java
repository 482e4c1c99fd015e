package io.flinkclip.kernels.bench;

import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.Parallel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Quick SGEMM throughput check (no JMH, so the CLI can call it): prints GFLOP/s of {@link Gemm#nt} (B
 * repacked per call) and {@link Gemm#packed} (pre-packed weights) for CLIP-sized shapes.
 * Usage: {@code GemmBench [seconds-per-shape] [f16] [MxNxK ...]}; threads from {@code -Dclip.threads}. With
 * {@code f16} the packed column multiplies 16-bit weights (as OpenAI's fp16 checkpoints load), rotating through
 * {@link #WEIGHT_SETS} copies so they come from L3 or DRAM as a model's weights do, not from L2.
 */
public final class GemmBench {
    /** Linear layers of CLIP: ViT-B/32 with 32 images (M=50·32) and the text tower with one prompt batch. */
    static final int[][] CLIP_SHAPES = {
            {1600, 2304, 768}, {1600, 768, 768}, {1600, 3072, 768}, {1600, 768, 3072},
            {77, 1536, 512}, {77, 512, 512}, {77, 2048, 512}, {77, 512, 2048},
    };

    /** Weight sets the f16 mode rotates through (ViT-B/32's MLP: 16 × 4.7 MB, beyond L2). */
    static final int WEIGHT_SETS = 16;

    private GemmBench() {}

    public static void main(String[] args) {
        double seconds = 0.5;
        boolean f16 = false;
        List<int[]> shapes = new ArrayList<>();
        for (String a : args) {
            if (a.equals("f16")) {
                f16 = true;
            } else if (a.contains("x")) {
                String[] p = a.split("x");
                if (p.length != 3) throw new IllegalArgumentException("shape must be MxNxK, got " + a);
                shapes.add(new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])});
            } else {
                seconds = Double.parseDouble(a);
            }
        }
        if (shapes.isEmpty()) shapes.addAll(List.of(CLIP_SHAPES));
        warmUp();
        System.out.printf(Locale.ROOT, "SGEMM C[M,N] = A[M,K]·B[N,K]^T, threads=%d, %.2fs per shape, %s%s%n",
                Parallel.THREADS, seconds, loadNote(), f16 ? ", packed: 16-bit weights, " + WEIGHT_SETS + " rotating sets" : "");
        System.out.printf(Locale.ROOT, "%6s %6s %6s %14s %14s%n", "M", "N", "K", "nt GFLOP/s", "packed GFLOP/s");
        for (int[] s : shapes) {
            double[] r = f16 ? new double[] {measure(s[0], s[1], s[2], seconds, true)[0], measureF16(s[0], s[1], s[2], seconds)}
                    : measure(s[0], s[1], s[2], seconds);
            System.out.printf(Locale.ROOT, "%6d %6d %6d %14.1f %14.1f%n", s[0], s[1], s[2], r[0], r[1]);
        }
    }

    /**
     * The Vector API runs orders of magnitude slower until C2 has compiled the kernels (a few seconds on a
     * busy machine): loop a mid-sized product until it runs compiled and stops improving (at most 20 s).
     */
    private static void warmUp() {
        int m = 96, n = 512, k = 512;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] a = random(rnd, m * k), b = random(rnd, n * k), c = new float[m * n];
        PackedMatrix pb = PackedMatrix.fromRowsNK(b, 0, n, k);
        long start = System.nanoTime(), best = Long.MAX_VALUE;
        // Interpreted/C1 vector code is a slow plateau (< 1 GFLOP/s), so "no more gains" alone is not enough:
        // also require compiled-code speed (> 20 GFLOP/s), then 20 calls in a row without a 10% gain.
        double flops = 2.0 * 2 * m * n * k;
        int sinceGain = 0;
        while ((sinceGain < 20 || flops / best < 20) && System.nanoTime() - start < 20_000_000_000L) {
            long t = System.nanoTime();
            Gemm.nt(a, 0, b, 0, null, c, 0, m, n, k, false);
            Gemm.packed(a, 0, pb, null, c, 0, m, false, Epilogue.NONE);
            long dt = System.nanoTime() - t;
            sinceGain = dt < best * 0.9 ? 0 : sinceGain + 1;
            best = Math.min(best, dt);
        }
    }

    /** GFLOP/s depend on having the cores to ourselves: report the load the run saw. */
    private static String loadNote() {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return String.format(Locale.ROOT, "%d cpus, load average %.2f%s", Runtime.getRuntime().availableProcessors(), load,
                load > Runtime.getRuntime().availableProcessors() ? " (machine busy: numbers are low)" : "");
    }

    /** Returns {nt GFLOP/s, packed GFLOP/s}, each the best of timed repetitions after warm-up. */
    public static double[] measure(int m, int n, int k, double seconds) { return measure(m, n, k, seconds, true); }

    /** The packed half of {@link #measure} alone. */
    public static double measurePacked(int m, int n, int k, double seconds) { return measure(m, n, k, seconds, false)[1]; }

    private static double[] measure(int m, int n, int k, double seconds, boolean withNt) {
        SplittableRandom rnd = new SplittableRandom(42);
        float[] a = random(rnd, m * k), b = random(rnd, n * k), bias = random(rnd, n), c = new float[m * n];
        PackedMatrix pb = PackedMatrix.fromRowsNK(b, 0, n, k);
        double flops = 2.0 * m * n * k;
        Runnable nt = () -> Gemm.nt(a, 0, b, 0, bias, c, 0, m, n, k, false);
        Runnable packed = () -> Gemm.packed(a, 0, pb, bias, c, 0, m, false, Epilogue.NONE);
        return new double[] {withNt ? flops / best(nt, seconds) / 1e9 : Double.NaN, flops / best(packed, seconds) / 1e9};
    }

    /** Packed GFLOP/s with 16-bit weights, each call on the next of {@link #WEIGHT_SETS} copies. */
    static double measureF16(int m, int n, int k, double seconds) {
        SplittableRandom rnd = new SplittableRandom(43);
        float[] a = random(rnd, m * k), bias = random(rnd, n), c = new float[m * n];
        PackedMatrix[] sets = new PackedMatrix[WEIGHT_SETS];
        for (int q = 0; q < WEIGHT_SETS; q++) {
            float[] b = random(rnd, n * k);
            for (int i = 0; i < b.length; i++) b[i] = Float.float16ToFloat(Float.floatToFloat16(b[i]));
            sets[q] = PackedMatrix.fromRowsNK(b, 0, n, k).compact();
        }
        int[] next = {0};
        Runnable packed = () -> Gemm.packed(a, 0, sets[next[0]++ % WEIGHT_SETS], bias, c, 0, m, false, Epilogue.NONE);
        return 2.0 * m * n * k / best(packed, seconds) / 1e9;
    }

    /**
     * Best wall time in seconds of one run: warm-up (JIT) for 30% of the budget, then timed runs; at least 5 of
     * each. Public so peers timed beside the SGEMM table use the same statistic.
     */
    public static double best(Runnable r, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 0.3e9);
        for (int i = 0; i < 5 || System.nanoTime() < end; i++) r.run();
        double best = Double.MAX_VALUE;
        end = System.nanoTime() + (long) (seconds * 0.7e9);
        for (int i = 0; i < 5 || System.nanoTime() < end; i++) {
            long t = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t) * 1e-9);
        }
        return best;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }
}
