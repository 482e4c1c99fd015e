package io.flinkclip.kernels.bench;

import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's measured FMA ceiling: 24 independent chains of vector FMAs per thread, no memory traffic, all threads
 * at once. The yardstick for how close a kernel gets to the hardware on this VM in this phase: the "FMA peak ≈
 * 480 GFLOP/s on 2 cores" assumed 3.75 GHz, while this VM measured 2 × 166–170 at times (thirteenth/fourteenth sessions),
 * so an SGEMM figure means little without the peak beside it. 24 chains cover the FMA latency (4 cycles) on two ports
 * with room to spare, as the GEMM tile's 24 accumulators do.
 *
 * <p>Usage: {@code FmaPeak [seconds]}; threads from {@code -Dclip.threads} (all cores by default).
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** FMAs per loop step (independent accumulators). */
    private static final int CHAINS = 24;

    private FmaPeak() {}

    public static void main(String[] args) throws InterruptedException {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        int threads = Integer.getInteger("clip.threads", Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "FMA peak, %d threads, %d-lane vectors: %.1f GFLOP/s%n", threads, S.length(),
                measure(threads, seconds));
    }

    /**
     * Total GFLOP/s of {@code threads} threads each running {@link #chains} for about {@code seconds} (after a
     * warm-up that gets it compiled): the best of several rounds, as the GEMM figures are best calls.
     */
    public static double measure(int threads, double seconds) throws InterruptedException {
        for (long end = System.nanoTime() + 300_000_000L; System.nanoTime() < end; ) sink += chains(100_000, 1f);
        double best = 0;
        int rounds = 5;
        for (int r = 0; r < rounds; r++) best = Math.max(best, round(threads, seconds / rounds));
        return best;
    }

    /** One round: all threads start together and each reports its own rate; the rates add up. */
    private static double round(int threads, double seconds) throws InterruptedException {
        long steps = Math.max(1, (long) (seconds * 2e8)); // ≈ the round's length at ~150–200 GFLOP/s per thread
        double[] rates = new double[threads];
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long t0 = System.nanoTime();
                float s = 0;
                for (long done = 0; done < steps; done += 1_000_000) s += chains((int) Math.min(1_000_000, steps - done), id + 1f);
                rates[id] = 2.0 * S.length() * CHAINS * steps / (System.nanoTime() - t0);
                sink += s;
            });
            ts[t].start();
        }
        start.countDown();
        double total = 0;
        for (int t = 0; t < threads; t++) {
            ts[t].join();
            total += rates[t];
        }
        return total;
    }

    /** Written so the JIT cannot drop the chains as dead code. */
    private static volatile float sink;

    /** {@code steps} × {@link #CHAINS} dependent-per-chain FMAs; returns their sum. */
    static float chains(int steps, float seed) {
        FloatVector m = FloatVector.broadcast(S, 0.999f), a = FloatVector.broadcast(S, 1e-3f);
        FloatVector c0 = FloatVector.broadcast(S, seed), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        FloatVector c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        FloatVector c16 = c0, c17 = c0, c18 = c0, c19 = c0, c20 = c0, c21 = c0, c22 = c0, c23 = c0;
        for (int i = 0; i < steps; i++) {
            c0 = c0.fma(m, a); c1 = c1.fma(m, a); c2 = c2.fma(m, a); c3 = c3.fma(m, a);
            c4 = c4.fma(m, a); c5 = c5.fma(m, a); c6 = c6.fma(m, a); c7 = c7.fma(m, a);
            c8 = c8.fma(m, a); c9 = c9.fma(m, a); c10 = c10.fma(m, a); c11 = c11.fma(m, a);
            c12 = c12.fma(m, a); c13 = c13.fma(m, a); c14 = c14.fma(m, a); c15 = c15.fma(m, a);
            c16 = c16.fma(m, a); c17 = c17.fma(m, a); c18 = c18.fma(m, a); c19 = c19.fma(m, a);
            c20 = c20.fma(m, a); c21 = c21.fma(m, a); c22 = c22.fma(m, a); c23 = c23.fma(m, a);
        }
        FloatVector s = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .add(c12).add(c13).add(c14).add(c15).add(c16).add(c17).add(c18).add(c19).add(c20).add(c21).add(c22).add(c23);
        return s.reduceLanes(VectorOperators.ADD);
    }
}
