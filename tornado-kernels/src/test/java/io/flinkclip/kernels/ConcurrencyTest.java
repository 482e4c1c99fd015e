package io.flinkclip.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The kernels keep scratch per thread: concurrent callers and calls nested in pool tasks must not interfere. */
class ConcurrencyTest {
    private static final int M = 61, N = 70, K = 500; // 4.3 MFLOP: above the parallel threshold

    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int seed = t;
                jobs.add(pool.submit(() -> {
                    for (int rep = 0; rep < 3; rep++) checkOneProduct(seed * 10 + rep);
                    return null;
                }));
            }
            for (Future<?> f : jobs) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void callsNestedInParallelTasksRunCorrectly() {
        Parallel.forEach(6, 1, i -> checkOneProduct(100 + i));
    }

    private static void checkOneProduct(int seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = Reference.random(rnd, M * K), b = Reference.random(rnd, N * K), c = new float[M * N];
        Gemm.nt(a, 0, b, 0, null, c, 0, M, N, K, false);
        Reference.assertClose("gemm seed " + seed, Reference.gemm(a, 0, false, b, 0, true, M, N, K), c, 0, Math.sqrt(K), 1e-5);
        float[] qkv = Reference.random(rnd, 2 * 9 * 3 * 32), out = new float[2 * 9 * 32];
        Ops.attention(qkv, 0, out, 0, 2, 9, 32, 2, seed % 2 == 0);
        Reference.assertClose("attention seed " + seed, OpsTest.referenceAttention(qkv, 0, 2, 9, 32, 2, seed % 2 == 0), out, 0, 1, 1e-5);
        if (WinogradConv.supports(3, 1, 1, 32, 32)) {
            // Winograd blocks check out two per-thread scratch buffers; 2 images of 40×40 are 2 (F(4×4)) or 5 blocks.
            float[] x = Reference.random(rnd, 2 * 40 * 40 * 32), w = Reference.random(rnd, 32 * 9 * 32), y = new float[2 * 40 * 40 * 32];
            WinogradConv.conv3x3(x, 2, 40, 40, WinogradConv.transform(w, 32, 32, seed % 2 == 0 ? 2 : 4), null, y, false, Epilogue.NONE);
            Reference.assertClose("winograd seed " + seed, Reference.convNhwc(x, 2, 40, 40, 32, w, 32, 3, 1, 1, null, null, false), y, 0,
                    Math.sqrt(9 * 32), 1e-5);
        }
    }
}
