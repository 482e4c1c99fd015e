package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM register tile: MR = 12 rows × NR = 2 vectors of C held in 24 vector registers while a K-slice
 * of packed A (MR values per k, broadcast) and packed B (NR values per k) streams through FMAs. 12×2 beat
 * 6×3, 8×3, 14×2 and 4×4 on AVX-512 (≈210 vs 160–190 GFLOP/s per core, CPU time, in-L1 operands).
 * Spelled out by hand on purpose: C2 keeps vectors in registers only when they are plain locals in one
 * compiled method; handing them to a helper that is not inlined boxes them and costs ~20×.
 */
final class MicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    static final int MR = 12, NV = 2, NR = NV * VL;

    private MicroKernel() {}

    /**
     * Full tile at c[co], row stride ldc: C = Ap·Bp over kc steps, plus bias[biasOff..] per column when
     * {@code bias} is non-null, plus the old C when {@code addC}, then {@code act}. Edge tiles go through a
     * dense MR×NR scratch tile (ldc = NR, no bias/addC/act) and {@link Sgemm} finishes them.
     */
    static void tile(float[] ap, int apo, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                     float[] bias, int biasOff, boolean addC, Epilogue act) {
        FloatVector z = FloatVector.zero(S);
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
        if (bias != null) {
            FloatVector d0 = FloatVector.fromArray(S, bias, biasOff);
            FloatVector d1 = FloatVector.fromArray(S, bias, biasOff + VL);
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
            c0_0 = c0_0.add(FloatVector.fromArray(S, c, co + 0 * ldc));
            c0_1 = c0_1.add(FloatVector.fromArray(S, c, co + 0 * ldc + VL));
            c1_0 = c1_0.add(FloatVector.fromArray(S, c, co + 1 * ldc));
            c1_1 = c1_1.add(FloatVector.fromArray(S, c, co + 1 * ldc + VL));
            c2_0 = c2_0.add(FloatVector.fromArray(S, c, co + 2 * ldc));
            c2_1 = c2_1.add(FloatVector.fromArray(S, c, co + 2 * ldc + VL));
            c3_0 = c3_0.add(FloatVector.fromArray(S, c, co + 3 * ldc));
            c3_1 = c3_1.add(FloatVector.fromArray(S, c, co + 3 * ldc + VL));
            c4_0 = c4_0.add(FloatVector.fromArray(S, c, co + 4 * ldc));
            c4_1 = c4_1.add(FloatVector.fromArray(S, c, co + 4 * ldc + VL));
            c5_0 = c5_0.add(FloatVector.fromArray(S, c, co + 5 * ldc));
            c5_1 = c5_1.add(FloatVector.fromArray(S, c, co + 5 * ldc + VL));
            c6_0 = c6_0.add(FloatVector.fromArray(S, c, co + 6 * ldc));
            c6_1 = c6_1.add(FloatVector.fromArray(S, c, co + 6 * ldc + VL));
            c7_0 = c7_0.add(FloatVector.fromArray(S, c, co + 7 * ldc));
            c7_1 = c7_1.add(FloatVector.fromArray(S, c, co + 7 * ldc + VL));
            c8_0 = c8_0.add(FloatVector.fromArray(S, c, co + 8 * ldc));
            c8_1 = c8_1.add(FloatVector.fromArray(S, c, co + 8 * ldc + VL));
            c9_0 = c9_0.add(FloatVector.fromArray(S, c, co + 9 * ldc));
            c9_1 = c9_1.add(FloatVector.fromArray(S, c, co + 9 * ldc + VL));
            c10_0 = c10_0.add(FloatVector.fromArray(S, c, co + 10 * ldc));
            c10_1 = c10_1.add(FloatVector.fromArray(S, c, co + 10 * ldc + VL));
            c11_0 = c11_0.add(FloatVector.fromArray(S, c, co + 11 * ldc));
            c11_1 = c11_1.add(FloatVector.fromArray(S, c, co + 11 * ldc + VL));
        }
        if (act == Epilogue.QUICK_GELU) {
            c0_0 = Epilogue.quickGelu(c0_0); c0_1 = Epilogue.quickGelu(c0_1);
            c1_0 = Epilogue.quickGelu(c1_0); c1_1 = Epilogue.quickGelu(c1_1);
            c2_0 = Epilogue.quickGelu(c2_0); c2_1 = Epilogue.quickGelu(c2_1);
            c3_0 = Epilogue.quickGelu(c3_0); c3_1 = Epilogue.quickGelu(c3_1);
            c4_0 = Epilogue.quickGelu(c4_0); c4_1 = Epilogue.quickGelu(c4_1);
            c5_0 = Epilogue.quickGelu(c5_0); c5_1 = Epilogue.quickGelu(c5_1);
            c6_0 = Epilogue.quickGelu(c6_0); c6_1 = Epilogue.quickGelu(c6_1);
            c7_0 = Epilogue.quickGelu(c7_0); c7_1 = Epilogue.quickGelu(c7_1);
            c8_0 = Epilogue.quickGelu(c8_0); c8_1 = Epilogue.quickGelu(c8_1);
            c9_0 = Epilogue.quickGelu(c9_0); c9_1 = Epilogue.quickGelu(c9_1);
            c10_0 = Epilogue.quickGelu(c10_0); c10_1 = Epilogue.quickGelu(c10_1);
            c11_0 = Epilogue.quickGelu(c11_0); c11_1 = Epilogue.quickGelu(c11_1);
        } else if (act == Epilogue.RELU) {
            c0_0 = c0_0.max(0f); c0_1 = c0_1.max(0f);
            c1_0 = c1_0.max(0f); c1_1 = c1_1.max(0f);
            c2_0 = c2_0.max(0f); c2_1 = c2_1.max(0f);
            c3_0 = c3_0.max(0f); c3_1 = c3_1.max(0f);
            c4_0 = c4_0.max(0f); c4_1 = c4_1.max(0f);
            c5_0 = c5_0.max(0f); c5_1 = c5_1.max(0f);
            c6_0 = c6_0.max(0f); c6_1 = c6_1.max(0f);
            c7_0 = c7_0.max(0f); c7_1 = c7_1.max(0f);
            c8_0 = c8_0.max(0f); c8_1 = c8_1.max(0f);
            c9_0 = c9_0.max(0f); c9_1 = c9_1.max(0f);
            c10_0 = c10_0.max(0f); c10_1 = c10_1.max(0f);
            c11_0 = c11_0.max(0f); c11_1 = c11_1.max(0f);
        }
        c0_0.intoArray(c, co + 0 * ldc); c0_1.intoArray(c, co + 0 * ldc + VL);
        c1_0.intoArray(c, co + 1 * ldc); c1_1.intoArray(c, co + 1 * ldc + VL);
        c2_0.intoArray(c, co + 2 * ldc); c2_1.intoArray(c, co + 2 * ldc + VL);
        c3_0.intoArray(c, co + 3 * ldc); c3_1.intoArray(c, co + 3 * ldc + VL);
        c4_0.intoArray(c, co + 4 * ldc); c4_1.intoArray(c, co + 4 * ldc + VL);
        c5_0.intoArray(c, co + 5 * ldc); c5_1.intoArray(c, co + 5 * ldc + VL);
        c6_0.intoArray(c, co + 6 * ldc); c6_1.intoArray(c, co + 6 * ldc + VL);
        c7_0.intoArray(c, co + 7 * ldc); c7_1.intoArray(c, co + 7 * ldc + VL);
        c8_0.intoArray(c, co + 8 * ldc); c8_1.intoArray(c, co + 8 * ldc + VL);
        c9_0.intoArray(c, co + 9 * ldc); c9_1.intoArray(c, co + 9 * ldc + VL);
        c10_0.intoArray(c, co + 10 * ldc); c10_1.intoArray(c, co + 10 * ldc + VL);
        c11_0.intoArray(c, co + 11 * ldc); c11_1.intoArray(c, co + 11 * ldc + VL);
    }
}
