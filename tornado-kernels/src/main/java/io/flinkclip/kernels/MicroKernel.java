package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM register tile: MR rows × NR = 3 vectors of C held in 18 vector registers while a K-slice of
 * packed A (MR values per k, broadcast) and packed B (NR values per k) streams through FMAs.
 * Spelled out by hand on purpose: C2 keeps vectors in registers only when they are plain locals in one
 * compiled method; passing them to a helper that is not inlined boxes them and costs ~20×.
 */
final class MicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    static final int MR = 6, NV = 3, NR = NV * VL;

    private MicroKernel() {}

    /**
     * Full tile at c[co], row stride ldc: C = Ap·Bp over kc steps, plus bias[biasOff..] per column when
     * {@code bias} is non-null, plus the old C when {@code addC}, then {@code act}. Edge tiles go through a
     * dense MR×NR scratch tile (ldc = NR, no bias/addC/act) and {@link Sgemm} finishes them.
     */
    static void tile(float[] ap, int apo, float[] bp, int bpo, int kc, float[] c, int co, int ldc,
                     float[] bias, int biasOff, boolean addC, Epilogue act) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z;
        FloatVector c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z;
        FloatVector c40 = z, c41 = z, c42 = z;
        FloatVector c50 = z, c51 = z, c52 = z;
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + VL);
            FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao + 0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01); c02 = a0.fma(b2, c02);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11); c12 = a1.fma(b2, c12);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21); c22 = a2.fma(b2, c22);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31); c32 = a3.fma(b2, c32);
            FloatVector a4 = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41); c42 = a4.fma(b2, c42);
            FloatVector a5 = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51); c52 = a5.fma(b2, c52);
        }
        if (bias != null) {
            FloatVector d0 = FloatVector.fromArray(S, bias, biasOff);
            FloatVector d1 = FloatVector.fromArray(S, bias, biasOff + VL);
            FloatVector d2 = FloatVector.fromArray(S, bias, biasOff + 2 * VL);
            c00 = c00.add(d0); c01 = c01.add(d1); c02 = c02.add(d2);
            c10 = c10.add(d0); c11 = c11.add(d1); c12 = c12.add(d2);
            c20 = c20.add(d0); c21 = c21.add(d1); c22 = c22.add(d2);
            c30 = c30.add(d0); c31 = c31.add(d1); c32 = c32.add(d2);
            c40 = c40.add(d0); c41 = c41.add(d1); c42 = c42.add(d2);
            c50 = c50.add(d0); c51 = c51.add(d1); c52 = c52.add(d2);
        }
        if (addC) {
            c00 = c00.add(FloatVector.fromArray(S, c, co + 0 * ldc));
            c01 = c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + VL));
            c02 = c02.add(FloatVector.fromArray(S, c, co + 0 * ldc + 2 * VL));
            c10 = c10.add(FloatVector.fromArray(S, c, co + 1 * ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + VL));
            c12 = c12.add(FloatVector.fromArray(S, c, co + 1 * ldc + 2 * VL));
            c20 = c20.add(FloatVector.fromArray(S, c, co + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + VL));
            c22 = c22.add(FloatVector.fromArray(S, c, co + 2 * ldc + 2 * VL));
            c30 = c30.add(FloatVector.fromArray(S, c, co + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + VL));
            c32 = c32.add(FloatVector.fromArray(S, c, co + 3 * ldc + 2 * VL));
            c40 = c40.add(FloatVector.fromArray(S, c, co + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + VL));
            c42 = c42.add(FloatVector.fromArray(S, c, co + 4 * ldc + 2 * VL));
            c50 = c50.add(FloatVector.fromArray(S, c, co + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + VL));
            c52 = c52.add(FloatVector.fromArray(S, c, co + 5 * ldc + 2 * VL));
        }
        if (act == Epilogue.QUICK_GELU) {
            c00 = Epilogue.quickGelu(c00); c01 = Epilogue.quickGelu(c01); c02 = Epilogue.quickGelu(c02);
            c10 = Epilogue.quickGelu(c10); c11 = Epilogue.quickGelu(c11); c12 = Epilogue.quickGelu(c12);
            c20 = Epilogue.quickGelu(c20); c21 = Epilogue.quickGelu(c21); c22 = Epilogue.quickGelu(c22);
            c30 = Epilogue.quickGelu(c30); c31 = Epilogue.quickGelu(c31); c32 = Epilogue.quickGelu(c32);
            c40 = Epilogue.quickGelu(c40); c41 = Epilogue.quickGelu(c41); c42 = Epilogue.quickGelu(c42);
            c50 = Epilogue.quickGelu(c50); c51 = Epilogue.quickGelu(c51); c52 = Epilogue.quickGelu(c52);
        } else if (act == Epilogue.RELU) {
            c00 = c00.max(0f); c01 = c01.max(0f); c02 = c02.max(0f);
            c10 = c10.max(0f); c11 = c11.max(0f); c12 = c12.max(0f);
            c20 = c20.max(0f); c21 = c21.max(0f); c22 = c22.max(0f);
            c30 = c30.max(0f); c31 = c31.max(0f); c32 = c32.max(0f);
            c40 = c40.max(0f); c41 = c41.max(0f); c42 = c42.max(0f);
            c50 = c50.max(0f); c51 = c51.max(0f); c52 = c52.max(0f);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + VL); c02.intoArray(c, co + 0 * ldc + 2 * VL);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + VL); c12.intoArray(c, co + 1 * ldc + 2 * VL);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + VL); c22.intoArray(c, co + 2 * ldc + 2 * VL);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + VL); c32.intoArray(c, co + 3 * ldc + 2 * VL);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + VL); c42.intoArray(c, co + 4 * ldc + 2 * VL);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + VL); c52.intoArray(c, co + 5 * ldc + 2 * VL);
    }
}
