package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM inner kernel: for one MC×NC block of C it walks K in KC slices, and for each MR×NR tile keeps
 * MR = 12 rows × 2 vectors of C in 24 vector registers while packed A (MR values per k, broadcast) and
 * packed B (NR values per k) stream through FMAs. 12×2 beat 6×3, 8×3, 14×2 and 4×4 on AVX-512
 * (≈210 vs 160–190 GFLOP/s per core, CPU time, in-L1 operands).
 *
 * <p>Written out by hand on purpose. C2 keeps vectors in registers only when they are plain locals of one
 * compiled method (a helper that is not inlined boxes them: ~20× slower). And the whole block loop sits in
 * this one method so that a single call does a lot of work and the JIT can switch the running call to
 * optimised code (OSR). The activation runs as a separate pass over the just-stored (L1-hot) tile: inlined
 * here, its 24 EXP calls made the method several times slower to compile.
 */
final class MicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    static final int MR = 12, NV = 2, NR = NV * VL;
    /** K slice per pass: the B micro-panel (KC×NR floats, 32 KiB) stays in L1. */
    static final int KC = 256;

    private MicroKernel() {}

    /**
     * C[i0..i1, j0..j1] (row stride n, from cOff) = A·B over all k (+ bias[j]) (+ old C when accumulate),
     * then act. ap/bp are packed by {@link Packing}; i0 and j0 are multiples of MR and NR. Edge tiles are
     * computed into a dense MR×NR scratch tile and finished by {@link Sgemm#finishEdge}.
     */
    static void block(float[] ap, float[] bp, float[] c, int cOff, int m, int n, int k, int i0, int i1, int j0, int j1,
                      float[] bias, boolean accumulate, Epilogue act) {
        float[] edge = null;
        FloatVector z = FloatVector.zero(S);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean first = pc == 0, last = pc + kc == k;
            for (int j = j0; j < j1; j += NR) {
                int bpo = (j / NR) * NR * k + pc * NR, nr = Math.min(NR, n - j);
                for (int i = i0; i < i1; i += MR) {
                    int apo = (i / MR) * MR * k + pc * MR, mr = Math.min(MR, m - i);
                    boolean full = mr == MR && nr == NR;
                    if (!full && edge == null) edge = new float[MR * NR];
                    float[] dst = full ? c : edge;
                    int co = full ? cOff + i * n + j : 0, ldc = full ? n : NR;
                    float[] tb = full && first ? bias : null;
                    boolean addC = full && (!first || accumulate);
                    Epilogue ta = full && last ? act : Epilogue.NONE;
                    FloatVector c0_0 = z, c0_1 = z;
                    FloatVector c1_0 = z, c1_1 = z;
                    FloatVector c2_0 = z, c2_1 = z;
                    FloatVector c3_0 = z, c3_1 = z;
                    FloatVector c4_0 = z, c4_1 = z;
                    FloatVector c5_0 = z, c5_1 = z;
                    FloatVector c6_0 = z, c6_1 = z;
                    FloatVector c7_0 = z, c7_1 = z;
                    FloatVector c8_0 = z, c8_1 = z;
                    FloatVector c9_0 = z, c9_1 = z;
                    FloatVector c10_0 = z, c10_1 = z;
                    FloatVector c11_0 = z, c11_1 = z;
                    for (int p = 0; p < kc; p++) {
                        int bo = bpo + p * NR, ao = apo + p * MR;
                        FloatVector b0 = FloatVector.fromArray(S, bp, bo);
                        FloatVector b1 = FloatVector.fromArray(S, bp, bo + VL);
                        FloatVector a0 = FloatVector.broadcast(S, ap[ao + 0]);
                        c0_0 = a0.fma(b0, c0_0); c0_1 = a0.fma(b1, c0_1);
                        FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
                        c1_0 = a1.fma(b0, c1_0); c1_1 = a1.fma(b1, c1_1);
                        FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
                        c2_0 = a2.fma(b0, c2_0); c2_1 = a2.fma(b1, c2_1);
                        FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
                        c3_0 = a3.fma(b0, c3_0); c3_1 = a3.fma(b1, c3_1);
                        FloatVector a4 = FloatVector.broadcast(S, ap[ao + 4]);
                        c4_0 = a4.fma(b0, c4_0); c4_1 = a4.fma(b1, c4_1);
                        FloatVector a5 = FloatVector.broadcast(S, ap[ao + 5]);
                        c5_0 = a5.fma(b0, c5_0); c5_1 = a5.fma(b1, c5_1);
                        FloatVector a6 = FloatVector.broadcast(S, ap[ao + 6]);
                        c6_0 = a6.fma(b0, c6_0); c6_1 = a6.fma(b1, c6_1);
                        FloatVector a7 = FloatVector.broadcast(S, ap[ao + 7]);
                        c7_0 = a7.fma(b0, c7_0); c7_1 = a7.fma(b1, c7_1);
                        FloatVector a8 = FloatVector.broadcast(S, ap[ao + 8]);
                        c8_0 = a8.fma(b0, c8_0); c8_1 = a8.fma(b1, c8_1);
                        FloatVector a9 = FloatVector.broadcast(S, ap[ao + 9]);
                        c9_0 = a9.fma(b0, c9_0); c9_1 = a9.fma(b1, c9_1);
                        FloatVector a10 = FloatVector.broadcast(S, ap[ao + 10]);
                        c10_0 = a10.fma(b0, c10_0); c10_1 = a10.fma(b1, c10_1);
                        FloatVector a11 = FloatVector.broadcast(S, ap[ao + 11]);
                        c11_0 = a11.fma(b0, c11_0); c11_1 = a11.fma(b1, c11_1);
                    }
                    if (tb != null) {
                        FloatVector d0 = FloatVector.fromArray(S, tb, j);
                        FloatVector d1 = FloatVector.fromArray(S, tb, j + VL);
                        c0_0 = c0_0.add(d0); c0_1 = c0_1.add(d1);
                        c1_0 = c1_0.add(d0); c1_1 = c1_1.add(d1);
                        c2_0 = c2_0.add(d0); c2_1 = c2_1.add(d1);
                        c3_0 = c3_0.add(d0); c3_1 = c3_1.add(d1);
                        c4_0 = c4_0.add(d0); c4_1 = c4_1.add(d1);
                        c5_0 = c5_0.add(d0); c5_1 = c5_1.add(d1);
                        c6_0 = c6_0.add(d0); c6_1 = c6_1.add(d1);
                        c7_0 = c7_0.add(d0); c7_1 = c7_1.add(d1);
                        c8_0 = c8_0.add(d0); c8_1 = c8_1.add(d1);
                        c9_0 = c9_0.add(d0); c9_1 = c9_1.add(d1);
                        c10_0 = c10_0.add(d0); c10_1 = c10_1.add(d1);
                        c11_0 = c11_0.add(d0); c11_1 = c11_1.add(d1);
                    }
                    if (addC) {
                        c0_0 = c0_0.add(FloatVector.fromArray(S, dst, co + 0 * ldc));
                        c0_1 = c0_1.add(FloatVector.fromArray(S, dst, co + 0 * ldc + VL));
                        c1_0 = c1_0.add(FloatVector.fromArray(S, dst, co + 1 * ldc));
                        c1_1 = c1_1.add(FloatVector.fromArray(S, dst, co + 1 * ldc + VL));
                        c2_0 = c2_0.add(FloatVector.fromArray(S, dst, co + 2 * ldc));
                        c2_1 = c2_1.add(FloatVector.fromArray(S, dst, co + 2 * ldc + VL));
                        c3_0 = c3_0.add(FloatVector.fromArray(S, dst, co + 3 * ldc));
                        c3_1 = c3_1.add(FloatVector.fromArray(S, dst, co + 3 * ldc + VL));
                        c4_0 = c4_0.add(FloatVector.fromArray(S, dst, co + 4 * ldc));
                        c4_1 = c4_1.add(FloatVector.fromArray(S, dst, co + 4 * ldc + VL));
                        c5_0 = c5_0.add(FloatVector.fromArray(S, dst, co + 5 * ldc));
                        c5_1 = c5_1.add(FloatVector.fromArray(S, dst, co + 5 * ldc + VL));
                        c6_0 = c6_0.add(FloatVector.fromArray(S, dst, co + 6 * ldc));
                        c6_1 = c6_1.add(FloatVector.fromArray(S, dst, co + 6 * ldc + VL));
                        c7_0 = c7_0.add(FloatVector.fromArray(S, dst, co + 7 * ldc));
                        c7_1 = c7_1.add(FloatVector.fromArray(S, dst, co + 7 * ldc + VL));
                        c8_0 = c8_0.add(FloatVector.fromArray(S, dst, co + 8 * ldc));
                        c8_1 = c8_1.add(FloatVector.fromArray(S, dst, co + 8 * ldc + VL));
                        c9_0 = c9_0.add(FloatVector.fromArray(S, dst, co + 9 * ldc));
                        c9_1 = c9_1.add(FloatVector.fromArray(S, dst, co + 9 * ldc + VL));
                        c10_0 = c10_0.add(FloatVector.fromArray(S, dst, co + 10 * ldc));
                        c10_1 = c10_1.add(FloatVector.fromArray(S, dst, co + 10 * ldc + VL));
                        c11_0 = c11_0.add(FloatVector.fromArray(S, dst, co + 11 * ldc));
                        c11_1 = c11_1.add(FloatVector.fromArray(S, dst, co + 11 * ldc + VL));
                    }
                    c0_0.intoArray(dst, co + 0 * ldc); c0_1.intoArray(dst, co + 0 * ldc + VL);
                    c1_0.intoArray(dst, co + 1 * ldc); c1_1.intoArray(dst, co + 1 * ldc + VL);
                    c2_0.intoArray(dst, co + 2 * ldc); c2_1.intoArray(dst, co + 2 * ldc + VL);
                    c3_0.intoArray(dst, co + 3 * ldc); c3_1.intoArray(dst, co + 3 * ldc + VL);
                    c4_0.intoArray(dst, co + 4 * ldc); c4_1.intoArray(dst, co + 4 * ldc + VL);
                    c5_0.intoArray(dst, co + 5 * ldc); c5_1.intoArray(dst, co + 5 * ldc + VL);
                    c6_0.intoArray(dst, co + 6 * ldc); c6_1.intoArray(dst, co + 6 * ldc + VL);
                    c7_0.intoArray(dst, co + 7 * ldc); c7_1.intoArray(dst, co + 7 * ldc + VL);
                    c8_0.intoArray(dst, co + 8 * ldc); c8_1.intoArray(dst, co + 8 * ldc + VL);
                    c9_0.intoArray(dst, co + 9 * ldc); c9_1.intoArray(dst, co + 9 * ldc + VL);
                    c10_0.intoArray(dst, co + 10 * ldc); c10_1.intoArray(dst, co + 10 * ldc + VL);
                    c11_0.intoArray(dst, co + 11 * ldc); c11_1.intoArray(dst, co + 11 * ldc + VL);
                    if (ta != Epilogue.NONE) ta.applyRows(dst, co, ldc, MR, NR);
                    if (!full) {
                        Sgemm.finishEdge(edge, c, cOff + i * n + j, n, mr, nr, first ? bias : null, j, !first || accumulate,
                                last ? act : Epilogue.NONE);
                    }
                }
            }
        }
    }
}
