package io.flinkclip.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The kernel thread pool: {@code threads − 1} workers plus the calling thread, which works on its own job instead
 * of waiting for the pool. After a job a worker spins for {@link #SPIN_NANOS} before it parks, so the next kernel
 * of a forward pass finds it awake.
 *
 * <p>Why not a ForkJoinPool: on this VM a fork/join round trip to workers that had parked cost 110–130 µs
 * (waking a parked thread goes through the hypervisor), and a forward pass at batch 1 is a few hundred kernels
 * of 0.1–1 ms each, with short sequential steps between them in which ForkJoinPool workers park. Workers also
 * claim indices one chunk at a time from a shared counter, so uneven tasks balance themselves.
 *
 * <p>Several callers (Flink slots, each calling kernels on its own thread): one job runs at a time, and a caller that
 * finds the pool busy runs its job alone on its own thread. After such a collision every caller works alone for
 * {@link #CONTENDED_NANOS}: when as many threads call kernels as there are cores, the cores are busy without
 * intra-op parallelism, and a pool job would only add a thread to time-slice (spinning waits suffer most). Measured
 * with FlinkOverheadBench (ViT-B/32, parallelism 2 on 2 cores): callers taking turns on the pool instead gave
 * 19.5–20.5 records/s direct and 15.4–19.5 through Flink against 22.0–22.4 and 19.3–19.7 with the ForkJoinPool.
 */
final class SpinPool {
    /** How long an idle worker watches for the next job before parking. */
    private static final long SPIN_NANOS = Long.getLong("clip.pool.spinMicros", 200) * 1000;
    /** How long after two callers collided every caller keeps running alone. */
    private static final long CONTENDED_NANOS = 1_000_000_000L;
    /** When a caller last found the pool busy (System.nanoTime); starts long ago. */
    private volatile long contendedAt = System.nanoTime() - 2 * CONTENDED_NANOS;

    private static final class Job {
        final int n, chunk;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger(), pending;
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Job(int n, int chunk, IntConsumer body) {
            this.n = n;
            this.chunk = chunk;
            this.body = body;
            this.pending = new AtomicInteger((n + chunk - 1) / chunk);
        }

        /** Claims and runs chunks until none are left. */
        void work() {
            for (int lo; (lo = next.getAndAdd(chunk)) < n; ) {
                try {
                    if (error.get() == null) for (int i = lo, hi = Math.min(n, lo + chunk); i < hi; i++) body.accept(i);
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }

    /** Worker threads; a slot whose thread has retired (idle for {@link #keepAliveNanos}) is refilled by the next job. */
    private final Thread[] workers;
    private final long keepAliveNanos;
    private final AtomicInteger started = new AtomicInteger();
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    /** The job on offer, or null. Workers read it while spinning. */
    private volatile Job current;
    private final ThreadLocal<boolean[]> inBody;

    SpinPool(int threads, ThreadLocal<boolean[]> inBody) { this(threads, inBody, 60_000_000_000L); }

    /**
     * @param keepAliveNanos how long a worker may go without a job before its thread ends. Threads must not live
     *                       forever: in a Flink session cluster each job's user-code class loader gets its own
     *                       pool, and parked workers would pin the loader after the job is gone.
     */
    SpinPool(int threads, ThreadLocal<boolean[]> inBody, long keepAliveNanos) {
        this.inBody = inBody;
        this.keepAliveNanos = keepAliveNanos;
        workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) workers[w] = startWorker();
    }

    private Thread startWorker() {
        Thread t = new Thread(this::workerLoop, "clip-kernel-" + started.getAndIncrement());
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Workers whose threads are running (for tests). */
    int liveWorkers() {
        int live = 0;
        for (Thread t : workers) if (t.isAlive()) live++;
        return live;
    }

    /**
     * Runs body(i) for i in [0, n) in chunks of {@code chunk} on the pool; returns false, having run nothing, when
     * the caller should run the job alone (the pool is busy, or was recently).
     */
    boolean tryRun(int n, int chunk, IntConsumer body) {
        if (System.nanoTime() - contendedAt < CONTENDED_NANOS) return false;
        if (!lock.tryLock()) {
            contendedAt = System.nanoTime();
            return false;
        }
        Job job = new Job(n, chunk, body);
        try {
            // A worker that retired is replaced; one retiring right now is not, and this job simply gets one
            // helper fewer: the caller claims chunks until none are left, so no job depends on a worker.
            for (int w = 0; w < workers.length; w++) if (!workers[w].isAlive()) workers[w] = startWorker();
            current = job;
            for (Thread w : workers) LockSupport.unpark(w);
            boolean[] flag = inBody.get();
            flag[0] = true;
            try {
                job.work();
            } finally {
                flag[0] = false;
            }
            // The other chunks are with workers: wait for them, spinning (they are short); yield the core if a
            // worker is slow to come back (descheduled), so the wait cannot starve it.
            for (long spins = 0; job.pending.get() > 0; spins++) {
                if (spins < 20_000) Thread.onSpinWait();
                else Thread.yield();
            }
        } finally {
            current = null;
            lock.unlock();
        }
        Throwable t = job.error.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
        return true;
    }

    private void workerLoop() {
        boolean[] flag = inBody.get();
        Job last = null;
        long lastJob = System.nanoTime(), spinFrom = lastJob;
        while (true) {
            Job job = current;
            if (job != null && job != last) {
                last = job;
                flag[0] = true;
                try {
                    job.work();
                } finally {
                    flag[0] = false;
                }
                lastJob = spinFrom = System.nanoTime();
                continue;
            }
            long now = System.nanoTime();
            if (now - spinFrom < SPIN_NANOS) {
                Thread.onSpinWait();
            } else if (now - lastJob >= keepAliveNanos) {
                return; // idle too long: the thread ends, and the next job starts a new one
            } else {
                // Until a caller offers a job: it publishes the job, then unparks every worker, so a worker that
                // saw no job just before parking still gets the permit and returns at once.
                LockSupport.parkNanos(this, keepAliveNanos);
                spinFrom = System.nanoTime();
            }
        }
    }
}
