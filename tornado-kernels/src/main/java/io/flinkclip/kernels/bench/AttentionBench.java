package io.flinkclip.kernels.bench;

import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.Parallel;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Multi-head attention throughput ({@link Ops#attention} over a [batch·seq, q|k|v] buffer), the shapes of CLIP's
 * towers: ViT-B/32 images (50 tokens, 12 heads of 64) and 77-token texts (causal, 8 heads of 64).
 * Usage: {@code AttentionBench [seconds] [batch×seq×dim×heads[c] ...]} (a trailing c makes it causal); threads from
 * {@code -Dclip.threads}. GFLOP/s count the two products (4·seq²·dim per item), masked or not.
 */
public final class AttentionBench {
    private AttentionBench() {}

    public static void main(String[] args) {
        double seconds = 2;
        java.util.List<String> shapes = new java.util.ArrayList<>();
        for (String a : args) {
            if (a.contains("x")) shapes.add(a);
            else seconds = Double.parseDouble(a);
        }
        if (shapes.isEmpty()) shapes = java.util.List.of("1x50x768x12", "32x50x768x12", "32x77x512x8c");
        System.out.printf(Locale.ROOT, "attention, threads=%d, %.1fs per shape (best of 1 s rounds after a warm-up)%n",
                Parallel.THREADS, seconds);
        for (String s : shapes) {
            boolean causal = s.endsWith("c");
            String[] p = (causal ? s.substring(0, s.length() - 1) : s).split("x");
            if (p.length != 4) throw new IllegalArgumentException("shape must be BATCHxSEQxDIMxHEADS[c], got " + s);
            int batch = Integer.parseInt(p[0]), seq = Integer.parseInt(p[1]), dim = Integer.parseInt(p[2]), heads = Integer.parseInt(p[3]);
            double ms = measure(batch, seq, dim, heads, causal, seconds) * 1e3;
            double gflops = 4.0 * batch * seq * seq * dim / (ms * 1e-3) / 1e9;
            System.out.printf(Locale.ROOT, "%-16s %10.3f ms %10.1f GFLOP/s%n", s, ms, gflops);
        }
    }

    /** Best seconds per call over rounds of about a second, after a warm-up of half the budget. */
    static double measure(int batch, int seq, int dim, int heads, boolean causal, double seconds) {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] qkv = new float[batch * seq * 3 * dim], out = new float[batch * seq * dim];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) rnd.nextGaussian();
        Runnable call = () -> Ops.attention(qkv, 0, out, 0, batch, seq, dim, heads, causal);
        long warm = System.nanoTime() + (long) (seconds * 0.5e9);
        while (System.nanoTime() < warm) call.run();
        double best = Double.MAX_VALUE;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long t0 = System.nanoTime(), roundEnd = t0 + (long) Math.min(1e9, seconds * 1e9);
            int calls = 0;
            do {
                call.run();
                calls++;
            } while (System.nanoTime() < roundEnd);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / calls);
        } while (System.nanoTime() < end);
        return best;
    }
}
