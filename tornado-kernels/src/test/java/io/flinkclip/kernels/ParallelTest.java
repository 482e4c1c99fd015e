package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Parallel} over its {@link SpinPool}: every index exactly once, from any number of callers, errors surfaced. */
@Timeout(120)
class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnceForAnyGrain() {
        for (int n : new int[] {1, 2, 3, 7, 64, 1000, 100_003}) {
            for (int grain : new int[] {1, 3, 64, 5000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                Parallel.forEach(n, grain, hits::incrementAndGet);
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " index " + i);
            }
        }
    }

    @Test
    void concurrentCallersAndNestedCallsAllComplete() throws Exception {
        int callers = 6, rounds = 200;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger total = new AtomicInteger();
        for (int t = 0; t < callers; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(40);
                        // Each outer index runs a nested forEach, which must run inline on whichever thread has it.
                        Parallel.forEach(8, 1, i -> Parallel.forEach(5, 1, j -> hits.incrementAndGet(i * 5 + j)));
                        for (int i = 0; i < 40; i++) if (hits.get(i) != 1) throw new AssertionError("index " + i + " ran " + hits.get(i) + " times");
                        total.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) th.join(60_000);
        assertTrue(failures.isEmpty(), () -> "failures: " + failures);
        assertEquals(callers * rounds, total.get());
    }

    @Test
    void aFailingBodyFailsTheCallerAndLeavesThePoolUsable() {
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallel.forEach(64, 1, i -> {
            if (i == 37) throw boom;
        }));
        assertSame(boom, thrown);
        assertThrows(OutOfMemoryError.class, () -> Parallel.forEach(16, 1, i -> {
            if (i == 3) throw new OutOfMemoryError("simulated");
        }));
        AtomicIntegerArray hits = new AtomicIntegerArray(500);
        Parallel.forEach(500, 1, hits::incrementAndGet);
        for (int i = 0; i < 500; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void workersShareTheWorkAndConcurrentCallersWorkAlone() throws Exception {
        // A pool of its own (3 threads: 2 workers and the caller), whatever this machine's core count.
        SpinPool pool = new SpinPool(3, ThreadLocal.withInitial(() -> new boolean[1]));
        java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
        CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
        Thread holder = new Thread(() -> assertTrue(pool.tryRun(24, 1, i -> {
            names.add(Thread.currentThread().getName());
            if (i == 0) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            long until = System.nanoTime() + 2_000_000;
            while (System.nanoTime() < until) Thread.onSpinWait();
        })), "holder");
        holder.start();
        inside.await();
        // While the holder's job runs, a second caller is sent to work alone, and so is every caller for a while.
        assertTrue(!pool.tryRun(4, 1, i -> { }), "a busy pool accepted a second job");
        release.countDown();
        holder.join(30_000);
        assertTrue(names.size() >= 2, "24 chunks of 2 ms ran only on " + names);
        assertTrue(!pool.tryRun(4, 1, i -> { }), "right after a collision the pool took a job");
        Thread.sleep(1100);
        AtomicIntegerArray hits = new AtomicIntegerArray(10);
        assertTrue(pool.tryRun(10, 3, hits::incrementAndGet), "an idle pool refused a job");
        for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void idleWorkersRetireAndTheNextJobReplacesThem() throws Exception {
        SpinPool pool = new SpinPool(3, ThreadLocal.withInitial(() -> new boolean[1]), 50_000_000L);
        assertEquals(2, pool.liveWorkers());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (pool.liveWorkers() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, pool.liveWorkers(), "workers idle for 50 ms did not end");
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        assertTrue(pool.tryRun(100, 1, hits::incrementAndGet));
        for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
        assertEquals(2, pool.liveWorkers(), "the next job did not start new workers");
    }
}
