package io.flinkclip.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Splits index ranges over the kernel threads (-Dclip.threads, default all cores): by default a {@link SpinPool}
 * (workers that stay awake between kernels, the caller working too); {@code -Dclip.pool=forkjoin} selects the
 * ForkJoinPool used before, for comparisons.
 */
public final class Parallel {
    public static final int THREADS = threads();
    private static final boolean FORK_JOIN = "forkjoin".equals(System.getProperty("clip.pool", "spin"));
    /** Worker names for thread dumps and profiles (the pool index is not assigned yet inside the factory). */
    private static final java.util.concurrent.atomic.AtomicInteger WORKERS = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * Exactly THREADS workers: by default a ForkJoinPool adds a "compensation" thread whenever a worker waits in
     * a join, which put up to 4 busy workers on 2 cores here and cost time-slicing of GEMM blocks (ResNet-50 at
     * batch 1: 117 → 62 ms per image; ViT-B/32: 81 → 75 ms at batch 1, 1.30 → 1.24 s at batch 32). Without
     * compensation a joining worker waits for the thief, which always makes progress: every task is pure
     * computation and nested kernels run inline (see {@link #forEach}).
     */
    private static final ForkJoinPool POOL = THREADS <= 1 || !FORK_JOIN ? null : new ForkJoinPool(THREADS, pool -> {
        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("clip-kernel-" + WORKERS.getAndIncrement());
        t.setDaemon(true);
        return t;
    }, null, false, THREADS, THREADS, 1, pool -> true, 60, java.util.concurrent.TimeUnit.SECONDS);

    private Parallel() {}

    /**
     * Whether {@code tasks} equal tasks keep every thread equally busy. Kernels that split work further only to
     * balance it stop here when each extra split repeats work (a convolution block's input gathering, a Winograd
     * group's input transform).
     */
    public static boolean evenlyShared(int tasks) { return tasks % THREADS == 0; }

    private static int threads() {
        int n = Integer.getInteger("clip.threads", Runtime.getRuntime().availableProcessors());
        if (n < 1) throw new IllegalArgumentException("-Dclip.threads must be >= 1, got " + n);
        return n;
    }

    /** A contiguous slice [lo, hi) of an index range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int lo, int hi);
    }

    /** True while this thread runs a parallel body: nested kernels then run sequentially on it. */
    private static final ThreadLocal<boolean[]> IN_BODY = ThreadLocal.withInitial(() -> new boolean[1]);

    /**
     * Runs body(i) for i in [0, n) in chunks of about {@code grain} indices (n ≤ grain runs on the caller, as one
     * chunk). A call from inside a body (on a
     * worker, or on a caller thread running its own job) runs sequentially, and so do the calls of concurrent callers
     * (see {@link SpinPool}).
     */
    public static void forEach(int n, int grain, IntConsumer body) {
        if (n <= 0) return;
        if (THREADS <= 1 || n <= grain || IN_BODY.get()[0] || (POOL != null && ForkJoinTask.getPool() == POOL)) {
            runInline(n, body);
            return;
        }
        if (POOL != null) {
            POOL.invoke(new Chunk(0, n, Math.max(grain, 1), body));
            return;
        }
        // grain/2 .. grain indices per chunk, as the fork/join split gave, and two chunks per thread where the
        // range allows, so one slow chunk can be balanced.
        int chunk = Math.max(Math.max(1, (grain + 1) / 2), Math.min(grain, (n + 2 * THREADS - 1) / (2 * THREADS)));
        if (!SPIN.tryRun(n, chunk, body)) runInline(n, body);
    }

    private static void runInline(int n, IntConsumer body) {
        for (int i = 0; i < n; i++) body.accept(i);
    }

    private static final SpinPool SPIN = THREADS > 1 && !FORK_JOIN ? new SpinPool(THREADS, IN_BODY) : null;

    /**
     * Runs body over disjoint slices covering [0, n), each at least {@code minChunk} long (except a short
     * tail) and about four per thread; a single slice runs on the calling thread. When {@code minChunk} is a
     * multiple of 64, so are the slice bounds.
     */
    public static void forRanges(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        int chunk = Math.max(Math.max(1, minChunk), (n + 4 * THREADS - 1) / (4 * THREADS));
        // Element slices in multiples of 64 floats never share a cache line with a neighbour (no false sharing).
        if (minChunk % 64 == 0) chunk = (chunk + 63) & ~63;
        int chunks = (n + chunk - 1) / chunk, size = chunk;
        if (chunks == 1) {
            body.run(0, n);
            return;
        }
        forEach(chunks, 1, ci -> body.run(ci * size, Math.min(n, (ci + 1) * size)));
    }

    private static final class Chunk extends RecursiveAction {
        final int lo, hi, grain;
        final IntConsumer body;

        Chunk(int lo, int hi, int grain, IntConsumer body) { this.lo = lo; this.hi = hi; this.grain = grain; this.body = body; }

        @Override
        protected void compute() {
            if (hi - lo <= grain) {
                boolean[] flag = IN_BODY.get();
                boolean outer = flag[0];
                flag[0] = true;
                try {
                    for (int i = lo; i < hi; i++) body.accept(i);
                } finally {
                    flag[0] = outer;
                }
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(lo, mid, grain, body), new Chunk(mid, hi, grain, body));
        }
    }
}
