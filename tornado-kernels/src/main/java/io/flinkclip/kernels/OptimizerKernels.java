package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise optimiser passes over whole parameter tensors (millions of floats: the token embedding alone is
 * 49,408 × width), vectorised and split over the kernel threads. Results never depend on the thread count: the
 * updates are element-wise with the scalar operation order (IEEE add, mul, div, sqrt: the same bits compiled or
 * interpreted), and reductions add fixed-size blocks in index order — exact resume relies on both.
 */
public final class OptimizerKernels {
    /** Elements per parallel chunk and per reduction block (a multiple of 64: no false sharing). */
    private static final int BLOCK = 1 << 14;
    private static final VectorSpecies<Float> HALF = FloatVector.SPECIES_256;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;

    private OptimizerKernels() {}

    /**
     * One AdamW step in place (PyTorch's single-tensor float32 update): w ← w·decay; m ← m + (g − m)(1 − β₁);
     * v ← β₂v + (1 − β₂)g·g; w ← w − stepSize·m / (√v / bc2Sqrt + ε).
     */
    public static void adamW(float[] w, float[] g, float[] m, float[] v, float decay, float beta1, float beta2,
                             float bc2Sqrt, float stepSize, float eps) {
        int n = w.length;
        Checks.range("g", g, 0, n);
        Checks.range("m", m, 0, n);
        Checks.range("v", v, 0, n);
        float oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2;
        Parallel.forRanges(n, BLOCK, (lo, hi) -> {
            int i = lo, vecEnd = lo + S.loopBound(hi - lo);
            for (; i < vecEnd; i += VL) {
                FloatVector gi = FloatVector.fromArray(S, g, i);
                FloatVector wi = FloatVector.fromArray(S, w, i).mul(decay);
                FloatVector mi = FloatVector.fromArray(S, m, i);
                mi = mi.add(gi.sub(mi).mul(oneMinusB1));
                FloatVector vi = FloatVector.fromArray(S, v, i).mul(beta2).add(gi.mul(oneMinusB2).mul(gi));
                FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
                wi.sub(mi.div(denom).mul(stepSize)).intoArray(w, i);
                mi.intoArray(m, i);
                vi.intoArray(v, i);
            }
            for (; i < hi; i++) {
                float gi = g[i];
                float wi = w[i] * decay;
                float mi = m[i] + (gi - m[i]) * oneMinusB1;
                float vi = v[i] * beta2 + gi * oneMinusB2 * gi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                w[i] = wi - (mi / denom) * stepSize;
                m[i] = mi;
                v[i] = vi;
            }
        });
    }

    /** Σ x² in double, summed per fixed block and then over blocks in order (NaN or ∞ if any element is). */
    public static double sumOfSquares(float[] x) {
        int blocks = (x.length + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        Parallel.forEach(blocks, 4, b -> partial[b] = blockSumOfSquares(x, b * BLOCK, Math.min(x.length, (b + 1) * BLOCK)));
        double s = 0;
        for (double p : partial) s += p;
        return s;
    }

    private static double blockSumOfSquares(float[] x, int lo, int hi) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = lo, vecEnd = lo + HALF.loopBound(hi - lo);
        for (; i < vecEnd; i += HALF.length()) {
            DoubleVector d = (DoubleVector) FloatVector.fromArray(HALF, x, i).convertShape(VectorOperators.F2D, D, 0);
            acc = d.fma(d, acc);
        }
        // A fixed summation order, not reduceLanes(ADD): its order is unspecified and differs between interpreted
        // and compiled code, and the gradient norm must not depend on when the JIT got to this method (bit-identical
        // training resumes).
        double s = 0;
        for (int l = 0; l < D.length(); l++) s += acc.lane(l);
        for (; i < hi; i++) s += (double) x[i] * x[i];
        return s;
    }

    /** dst[i] += src[i] for i &lt; n: element by element, so the sums equal a scalar loop's bit for bit. */
    public static void addInto(float[] dst, float[] src, int n) {
        java.util.Objects.checkFromIndexSize(0, n, dst.length);
        java.util.Objects.checkFromIndexSize(0, n, src.length);
        Parallel.forRanges(n, BLOCK, (lo, hi) -> {
            int i = lo, vecEnd = lo + S.loopBound(hi - lo);
            for (; i < vecEnd; i += VL) FloatVector.fromArray(S, dst, i).add(FloatVector.fromArray(S, src, i)).intoArray(dst, i);
            for (; i < hi; i++) dst[i] += src[i];
        });
    }

    /** x ← x·c. */
    public static void scale(float[] x, float c) {
        Parallel.forRanges(x.length, BLOCK, (lo, hi) -> {
            int i = lo, vecEnd = lo + S.loopBound(hi - lo);
            for (; i < vecEnd; i += VL) FloatVector.fromArray(S, x, i).mul(c).intoArray(x, i);
            for (; i < hi; i++) x[i] *= c;
        });
    }

    /** Index of the first NaN or infinite element, or −1. */
    public static int firstNonFinite(float[] x) {
        // x·0 is 0 for every finite x and NaN otherwise: one vector op per VL elements in the common case.
        FloatVector acc = FloatVector.zero(S);
        int i = 0, vecEnd = S.loopBound(x.length);
        for (; i < vecEnd; i += VL) acc = FloatVector.fromArray(S, x, i).mul(0f).add(acc);
        float probe = acc.reduceLanes(VectorOperators.ADD);
        for (; i < x.length; i++) probe += x[i] * 0f;
        if (probe == 0f) return -1;
        for (int j = 0; j < x.length; j++) if (!Float.isFinite(x[j])) return j;
        return -1;
    }
}
