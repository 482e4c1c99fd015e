package io.flinkclip.kernels.bench;

import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.PackedMatrix;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SGEMM at CLIP shapes (ViT-B/32 linear layers for 32 images, text tower for 77 tokens). JMH reports
 * ops/s; GFLOP/s = ops/s · 2·M·N·K / 1e9 (printed per shape by {@link GemmBench}, which the CLI uses).
 * Run: see docs/BENCHMARKS.md ("GEMM").
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmJmh {
    @Param({"1600x2304x768", "1600x768x768", "1600x3072x768", "1600x768x3072", "77x1536x512", "77x512x512", "77x2048x512", "77x512x2048"})
    public String shape;

    private int m, n, k;
    private float[] a, b, bias, c;
    private PackedMatrix packed;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        SplittableRandom rnd = new SplittableRandom(7);
        a = random(rnd, m * k);
        b = random(rnd, n * k);
        bias = random(rnd, n);
        c = new float[m * n];
        packed = PackedMatrix.fromRowsNK(b, 0, n, k);
    }

    /** Plain entry point: packs the weight on every call. */
    @Benchmark
    public float[] nt() {
        Gemm.nt(a, 0, b, 0, bias, c, 0, m, n, k, false);
        return c;
    }

    /** Pre-packed weight, the path for constant model weights. */
    @Benchmark
    public float[] packed() {
        Gemm.packed(a, 0, packed, bias, c, 0, m, false, Epilogue.NONE);
        return c;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }
}
