package io.flinkclip.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/** Splits index ranges over the kernel thread pool (size: -Dclip.threads, default all cores). */
public final class Parallel {
    public static final int THREADS = Integer.getInteger("clip.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS <= 1 ? null : new ForkJoinPool(THREADS);

    private Parallel() {}

    /** Runs body(i) for i in [0, n), chunked so each task gets at least {@code grain} indices. */
    public static void forEach(int n, int grain, IntConsumer body) {
        if (n <= 0) return;
        if (POOL == null || n <= grain || ForkJoinTask.getPool() == POOL) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        POOL.invoke(new Chunk(0, n, Math.max(grain, 1), body));
    }

    private static final class Chunk extends RecursiveAction {
        final int lo, hi, grain;
        final IntConsumer body;

        Chunk(int lo, int hi, int grain, IntConsumer body) { this.lo = lo; this.hi = hi; this.grain = grain; this.body = body; }

        @Override
        protected void compute() {
            if (hi - lo <= grain) {
                for (int i = lo; i < hi; i++) body.accept(i);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(lo, mid, grain, body), new Chunk(mid, hi, grain, body));
        }
    }
}
