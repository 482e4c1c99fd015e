package io.flinkclip.bench;

import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.PackedMatrix;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A/B of two SGEMM builds in one JVM: each side is its own copy of the kernel classes (a class loader per side,
 * initialised under its own system properties), and the timed calls alternate between them in short rounds. On this
 * project's shared VMs a figure moves ±5–20 % between runs in phases of tens of seconds, so two builds timed in
 * separate runs cannot be told apart at the few-percent level; here a phase lands on both sides, and the per-round
 * ratio B/A is reported as its median and quartiles. Run A against itself first: its spread is the noise floor.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/classes:tornado-kernels/target/classes \
 *     io.flinkclip.bench.GemmAB \
 *     KERNELS_A PROPS_A KERNELS_B PROPS_B ROUNDS MxNxK...</pre>
 * KERNELS_x: a tornado-kernels classes directory (e.g. this build's target/classes and another commit's, built into
 * a copy); PROPS_x: {@code key=value,key=value} set while that side's classes initialise (static finals read them),
 * or {@code -}. The workload is {@link Gemm#packed} with 16-bit weights rotating through 16 sets ({@code -Dclip.ab.sets}), as
 * {@code GemmBench f16}; threads from {@code -Dclip.threads}.
 */
public final class GemmAB {
    private GemmAB() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 6) throw new IllegalArgumentException("usage: GemmAB KERNELS_A PROPS_A KERNELS_B PROPS_B ROUNDS MxNxK...");
        int rounds = Integer.parseInt(args[4]);
        URL self = GemmAB.class.getProtectionDomain().getCodeSource().getLocation();
        for (int i = 5; i < args.length; i++) {
            String[] p = args[i].split("x");
            int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
            Object[] side = new Object[2];
            Method[] time = new Method[2];
            for (int v = 0; v < 2; v++) {
                ClassLoader loader = new URLClassLoader(new URL[] {self, Path.of(args[2 * v]).toUri().toURL()},
                        ClassLoader.getPlatformClassLoader());
                side[v] = AbRounds.withProperties(args[2 * v + 1], () -> Class.forName(Workload.class.getName(), true, loader)
                        .getConstructor(int.class, int.class, int.class).newInstance(m, n, k));
                time[v] = side[v].getClass().getMethod("secondsPerCall", int.class);
            }
            AbRounds.warm(6, () -> (double) time[0].invoke(side[0], 2), () -> (double) time[1].invoke(side[1], 2));
            double flops = 2.0 * m * n * k;
            double[][] gflops = AbRounds.alternate(rounds, () -> flops / (double) time[0].invoke(side[0], 4) / 1e9,
                    () -> flops / (double) time[1].invoke(side[1], 4) / 1e9);
            double[] ratio = AbRounds.spread(AbRounds.ratios(gflops)), ga = AbRounds.spread(gflops[0]), gb = AbRounds.spread(gflops[1]);
            System.out.printf(Locale.ROOT, "%dx%dx%d  A %.1f  B %.1f GFLOP/s (medians)  B/A median %.3f, quartiles %.3f..%.3f%n",
                    m, n, k, ga[0], gb[0], ratio[0], ratio[1], ratio[2]);
        }
    }

    /**
     * One side's workload; public so the harness can reach it through its own class loader's copy. It builds its
     * weight sets itself (as {@code GemmBench}'s f16 mode does) from the kernels' long-standing public API only, so a
     * side can be an older build that lacks anything added to {@code GemmBench} since.
     */
    public static final class Workload {
        /**
         * Rotating weight sets ({@code -Dclip.ab.sets}, default 16): enough sets to exceed the L3 cache a VM really gets
         * (64–128 MB on this project's VMs) make every call read its weights from DRAM, as a batch of one image does.
         */
        private final PackedMatrix[] sets = new PackedMatrix[Integer.getInteger("clip.ab.sets", 16)];
        private final float[] a, bias, c;
        private final int m;
        private int next;

        public Workload(int m, int n, int k) {
            this.m = m;
            SplittableRandom rnd = new SplittableRandom(43);
            a = random(rnd, m * k);
            bias = random(rnd, n);
            c = new float[m * n];
            for (int q = 0; q < sets.length; q++) {
                float[] b = random(rnd, n * k);
                for (int i = 0; i < b.length; i++) b[i] = Float.float16ToFloat(Float.floatToFloat16(b[i]));
                sets[q] = PackedMatrix.fromRowsNK(b, 0, n, k).compact();
            }
        }

        public double secondsPerCall(int calls) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) Gemm.packed(a, 0, sets[next++ % sets.length], bias, c, 0, m, false, Epilogue.NONE);
            return (System.nanoTime() - t0) * 1e-9 / calls;
        }

        private static float[] random(SplittableRandom rnd, int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
            return x;
        }
    }
}
