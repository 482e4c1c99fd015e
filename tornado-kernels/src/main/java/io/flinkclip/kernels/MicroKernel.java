package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM register tile: MR = 12 rows × NR = 2 vectors of C held in 24 vector registers while a K-slice
 * of packed A (MR values per k, broadcast) and packed B (NR values per k) streams through FMAs. 12×2 beat
 * 6×3, 8×3, 14×2 and 4×4 on AVX-512 (≈200 vs 160–190 GFLOP/s per core, CPU time, in-L1 operands).
 *
 * <p>Written out by hand on purpose: C2 keeps vectors in registers only when they are plain locals of one
 * compiled method (a helper that is not inlined boxes them: ~20× slower). The method holds nothing but
 * the tile: folding the block loops in as well made C2's code ~17% slower and took longer to compile.
 */
final class MicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    static final int MR = 12, NV = 2, NR = NV * VL;
    /** K slice per pass: the B micro-panel (KC×NR floats, 32 KiB) stays in L1. */
    static final int KC = 256;

    private MicroKernel() {}

    /** Stand-in for "no bias" / "nothing to add": read with offset 0 and row stride 0. */
    static final float[] ZEROS = new float[NR];

    /**
     * Full tile: dst[dOff + r·ldd + j] = max(Σ_p Ap·Bp over kc steps (ap from apo, bp from bpo)
     * + bias[biasOff + j] + src[sOff + r·lds + j], floor) (src may be dst; floor 0 is a fused ReLU, −∞ none: a
     * separate pass over the stored tile was 13 % of a K = 64 convolution's samples). Callers pass {@link #ZEROS} (with
     * lds = 0) instead of null: the method has no data-dependent branch, because C2 compiles a branch
     * never seen so far into a trap, and after such a deoptimisation this vector code runs ~100× slower in
     * the interpreter/C1 until it is recompiled seconds later.
     */
    static void tile(float[] ap, int apo, float[] bp, int bpo, int kc, float[] src, int sOff, int lds,
                     float[] dst, int dOff, int ldd, float[] bias, int biasOff, float floor) {
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
        {
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
        {
            c0_0 = c0_0.add(FloatVector.fromArray(S, src, sOff + 0 * lds));
            c0_1 = c0_1.add(FloatVector.fromArray(S, src, sOff + 0 * lds + VL));
            c1_0 = c1_0.add(FloatVector.fromArray(S, src, sOff + 1 * lds));
            c1_1 = c1_1.add(FloatVector.fromArray(S, src, sOff + 1 * lds + VL));
            c2_0 = c2_0.add(FloatVector.fromArray(S, src, sOff + 2 * lds));
            c2_1 = c2_1.add(FloatVector.fromArray(S, src, sOff + 2 * lds + VL));
            c3_0 = c3_0.add(FloatVector.fromArray(S, src, sOff + 3 * lds));
            c3_1 = c3_1.add(FloatVector.fromArray(S, src, sOff + 3 * lds + VL));
            c4_0 = c4_0.add(FloatVector.fromArray(S, src, sOff + 4 * lds));
            c4_1 = c4_1.add(FloatVector.fromArray(S, src, sOff + 4 * lds + VL));
            c5_0 = c5_0.add(FloatVector.fromArray(S, src, sOff + 5 * lds));
            c5_1 = c5_1.add(FloatVector.fromArray(S, src, sOff + 5 * lds + VL));
            c6_0 = c6_0.add(FloatVector.fromArray(S, src, sOff + 6 * lds));
            c6_1 = c6_1.add(FloatVector.fromArray(S, src, sOff + 6 * lds + VL));
            c7_0 = c7_0.add(FloatVector.fromArray(S, src, sOff + 7 * lds));
            c7_1 = c7_1.add(FloatVector.fromArray(S, src, sOff + 7 * lds + VL));
            c8_0 = c8_0.add(FloatVector.fromArray(S, src, sOff + 8 * lds));
            c8_1 = c8_1.add(FloatVector.fromArray(S, src, sOff + 8 * lds + VL));
            c9_0 = c9_0.add(FloatVector.fromArray(S, src, sOff + 9 * lds));
            c9_1 = c9_1.add(FloatVector.fromArray(S, src, sOff + 9 * lds + VL));
            c10_0 = c10_0.add(FloatVector.fromArray(S, src, sOff + 10 * lds));
            c10_1 = c10_1.add(FloatVector.fromArray(S, src, sOff + 10 * lds + VL));
            c11_0 = c11_0.add(FloatVector.fromArray(S, src, sOff + 11 * lds));
            c11_1 = c11_1.add(FloatVector.fromArray(S, src, sOff + 11 * lds + VL));
        }
        {
            // max(v, floor) with Math.max's NaN and zero semantics for floor 0 (ReLU) or −∞ (none): compare and blend.
            FloatVector lo = FloatVector.broadcast(S, floor);
            c0_0 = c0_0.blend(lo, c0_0.compare(VectorOperators.LE, lo));
            c0_1 = c0_1.blend(lo, c0_1.compare(VectorOperators.LE, lo));
            c1_0 = c1_0.blend(lo, c1_0.compare(VectorOperators.LE, lo));
            c1_1 = c1_1.blend(lo, c1_1.compare(VectorOperators.LE, lo));
            c2_0 = c2_0.blend(lo, c2_0.compare(VectorOperators.LE, lo));
            c2_1 = c2_1.blend(lo, c2_1.compare(VectorOperators.LE, lo));
            c3_0 = c3_0.blend(lo, c3_0.compare(VectorOperators.LE, lo));
            c3_1 = c3_1.blend(lo, c3_1.compare(VectorOperators.LE, lo));
            c4_0 = c4_0.blend(lo, c4_0.compare(VectorOperators.LE, lo));
            c4_1 = c4_1.blend(lo, c4_1.compare(VectorOperators.LE, lo));
            c5_0 = c5_0.blend(lo, c5_0.compare(VectorOperators.LE, lo));
            c5_1 = c5_1.blend(lo, c5_1.compare(VectorOperators.LE, lo));
            c6_0 = c6_0.blend(lo, c6_0.compare(VectorOperators.LE, lo));
            c6_1 = c6_1.blend(lo, c6_1.compare(VectorOperators.LE, lo));
            c7_0 = c7_0.blend(lo, c7_0.compare(VectorOperators.LE, lo));
            c7_1 = c7_1.blend(lo, c7_1.compare(VectorOperators.LE, lo));
            c8_0 = c8_0.blend(lo, c8_0.compare(VectorOperators.LE, lo));
            c8_1 = c8_1.blend(lo, c8_1.compare(VectorOperators.LE, lo));
            c9_0 = c9_0.blend(lo, c9_0.compare(VectorOperators.LE, lo));
            c9_1 = c9_1.blend(lo, c9_1.compare(VectorOperators.LE, lo));
            c10_0 = c10_0.blend(lo, c10_0.compare(VectorOperators.LE, lo));
            c10_1 = c10_1.blend(lo, c10_1.compare(VectorOperators.LE, lo));
            c11_0 = c11_0.blend(lo, c11_0.compare(VectorOperators.LE, lo));
            c11_1 = c11_1.blend(lo, c11_1.compare(VectorOperators.LE, lo));
        }
        c0_0.intoArray(dst, dOff + 0 * ldd); c0_1.intoArray(dst, dOff + 0 * ldd + VL);
        c1_0.intoArray(dst, dOff + 1 * ldd); c1_1.intoArray(dst, dOff + 1 * ldd + VL);
        c2_0.intoArray(dst, dOff + 2 * ldd); c2_1.intoArray(dst, dOff + 2 * ldd + VL);
        c3_0.intoArray(dst, dOff + 3 * ldd); c3_1.intoArray(dst, dOff + 3 * ldd + VL);
        c4_0.intoArray(dst, dOff + 4 * ldd); c4_1.intoArray(dst, dOff + 4 * ldd + VL);
        c5_0.intoArray(dst, dOff + 5 * ldd); c5_1.intoArray(dst, dOff + 5 * ldd + VL);
        c6_0.intoArray(dst, dOff + 6 * ldd); c6_1.intoArray(dst, dOff + 6 * ldd + VL);
        c7_0.intoArray(dst, dOff + 7 * ldd); c7_1.intoArray(dst, dOff + 7 * ldd + VL);
        c8_0.intoArray(dst, dOff + 8 * ldd); c8_1.intoArray(dst, dOff + 8 * ldd + VL);
        c9_0.intoArray(dst, dOff + 9 * ldd); c9_1.intoArray(dst, dOff + 9 * ldd + VL);
        c10_0.intoArray(dst, dOff + 10 * ldd); c10_1.intoArray(dst, dOff + 10 * ldd + VL);
        c11_0.intoArray(dst, dOff + 11 * ldd); c11_1.intoArray(dst, dOff + 11 * ldd + VL);
    }

    /**
     * {@link #tile} that also reads bp[next + p·nextStep] at every reduction step p and returns their sum, so
     * the weights of the next micro-panel arrive while this one computes. For GEMMs with few rows (a batch of
     * one image) the weights come from DRAM and are each used by only a few tiles; Java has no prefetch
     * instruction, and reading a whole panel before its tiles ({@link Sgemm}'s former touch) left the memory idle
     * while they ran. One extra scalar load per step and a sum the caller keeps alive: 50×3072×768 on cold
     * weights, one thread, 5.2–5.7 → 7.1–7.2 GB/s of weights. A copy rather than the only tile: {@link #tile}
     * delegating here with nextStep = 0 measured 1600×3072×768 321/332/291 against 350/331/335 GFLOP/s (alternating
     * runs), and the class comment says why the tiles are written out.
     */
    static float tileStreaming(float[] ap, int apo, float[] bp, int bpo, int kc, float[] src, int sOff, int lds,
                               float[] dst, int dOff, int ldd, float[] bias, int biasOff, int next, int nextStep,
                               float floor) {
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
        float touched = 0f;
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            touched += bp[next + p * nextStep];
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
        {
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
        {
            c0_0 = c0_0.add(FloatVector.fromArray(S, src, sOff + 0 * lds));
            c0_1 = c0_1.add(FloatVector.fromArray(S, src, sOff + 0 * lds + VL));
            c1_0 = c1_0.add(FloatVector.fromArray(S, src, sOff + 1 * lds));
            c1_1 = c1_1.add(FloatVector.fromArray(S, src, sOff + 1 * lds + VL));
            c2_0 = c2_0.add(FloatVector.fromArray(S, src, sOff + 2 * lds));
            c2_1 = c2_1.add(FloatVector.fromArray(S, src, sOff + 2 * lds + VL));
            c3_0 = c3_0.add(FloatVector.fromArray(S, src, sOff + 3 * lds));
            c3_1 = c3_1.add(FloatVector.fromArray(S, src, sOff + 3 * lds + VL));
            c4_0 = c4_0.add(FloatVector.fromArray(S, src, sOff + 4 * lds));
            c4_1 = c4_1.add(FloatVector.fromArray(S, src, sOff + 4 * lds + VL));
            c5_0 = c5_0.add(FloatVector.fromArray(S, src, sOff + 5 * lds));
            c5_1 = c5_1.add(FloatVector.fromArray(S, src, sOff + 5 * lds + VL));
            c6_0 = c6_0.add(FloatVector.fromArray(S, src, sOff + 6 * lds));
            c6_1 = c6_1.add(FloatVector.fromArray(S, src, sOff + 6 * lds + VL));
            c7_0 = c7_0.add(FloatVector.fromArray(S, src, sOff + 7 * lds));
            c7_1 = c7_1.add(FloatVector.fromArray(S, src, sOff + 7 * lds + VL));
            c8_0 = c8_0.add(FloatVector.fromArray(S, src, sOff + 8 * lds));
            c8_1 = c8_1.add(FloatVector.fromArray(S, src, sOff + 8 * lds + VL));
            c9_0 = c9_0.add(FloatVector.fromArray(S, src, sOff + 9 * lds));
            c9_1 = c9_1.add(FloatVector.fromArray(S, src, sOff + 9 * lds + VL));
            c10_0 = c10_0.add(FloatVector.fromArray(S, src, sOff + 10 * lds));
            c10_1 = c10_1.add(FloatVector.fromArray(S, src, sOff + 10 * lds + VL));
            c11_0 = c11_0.add(FloatVector.fromArray(S, src, sOff + 11 * lds));
            c11_1 = c11_1.add(FloatVector.fromArray(S, src, sOff + 11 * lds + VL));
        }
        {
            // max(v, floor) with Math.max's NaN and zero semantics for floor 0 (ReLU) or −∞ (none): compare and blend.
            FloatVector lo = FloatVector.broadcast(S, floor);
            c0_0 = c0_0.blend(lo, c0_0.compare(VectorOperators.LE, lo));
            c0_1 = c0_1.blend(lo, c0_1.compare(VectorOperators.LE, lo));
            c1_0 = c1_0.blend(lo, c1_0.compare(VectorOperators.LE, lo));
            c1_1 = c1_1.blend(lo, c1_1.compare(VectorOperators.LE, lo));
            c2_0 = c2_0.blend(lo, c2_0.compare(VectorOperators.LE, lo));
            c2_1 = c2_1.blend(lo, c2_1.compare(VectorOperators.LE, lo));
            c3_0 = c3_0.blend(lo, c3_0.compare(VectorOperators.LE, lo));
            c3_1 = c3_1.blend(lo, c3_1.compare(VectorOperators.LE, lo));
            c4_0 = c4_0.blend(lo, c4_0.compare(VectorOperators.LE, lo));
            c4_1 = c4_1.blend(lo, c4_1.compare(VectorOperators.LE, lo));
            c5_0 = c5_0.blend(lo, c5_0.compare(VectorOperators.LE, lo));
            c5_1 = c5_1.blend(lo, c5_1.compare(VectorOperators.LE, lo));
            c6_0 = c6_0.blend(lo, c6_0.compare(VectorOperators.LE, lo));
            c6_1 = c6_1.blend(lo, c6_1.compare(VectorOperators.LE, lo));
            c7_0 = c7_0.blend(lo, c7_0.compare(VectorOperators.LE, lo));
            c7_1 = c7_1.blend(lo, c7_1.compare(VectorOperators.LE, lo));
            c8_0 = c8_0.blend(lo, c8_0.compare(VectorOperators.LE, lo));
            c8_1 = c8_1.blend(lo, c8_1.compare(VectorOperators.LE, lo));
            c9_0 = c9_0.blend(lo, c9_0.compare(VectorOperators.LE, lo));
            c9_1 = c9_1.blend(lo, c9_1.compare(VectorOperators.LE, lo));
            c10_0 = c10_0.blend(lo, c10_0.compare(VectorOperators.LE, lo));
            c10_1 = c10_1.blend(lo, c10_1.compare(VectorOperators.LE, lo));
            c11_0 = c11_0.blend(lo, c11_0.compare(VectorOperators.LE, lo));
            c11_1 = c11_1.blend(lo, c11_1.compare(VectorOperators.LE, lo));
        }
        c0_0.intoArray(dst, dOff + 0 * ldd); c0_1.intoArray(dst, dOff + 0 * ldd + VL);
        c1_0.intoArray(dst, dOff + 1 * ldd); c1_1.intoArray(dst, dOff + 1 * ldd + VL);
        c2_0.intoArray(dst, dOff + 2 * ldd); c2_1.intoArray(dst, dOff + 2 * ldd + VL);
        c3_0.intoArray(dst, dOff + 3 * ldd); c3_1.intoArray(dst, dOff + 3 * ldd + VL);
        c4_0.intoArray(dst, dOff + 4 * ldd); c4_1.intoArray(dst, dOff + 4 * ldd + VL);
        c5_0.intoArray(dst, dOff + 5 * ldd); c5_1.intoArray(dst, dOff + 5 * ldd + VL);
        c6_0.intoArray(dst, dOff + 6 * ldd); c6_1.intoArray(dst, dOff + 6 * ldd + VL);
        c7_0.intoArray(dst, dOff + 7 * ldd); c7_1.intoArray(dst, dOff + 7 * ldd + VL);
        c8_0.intoArray(dst, dOff + 8 * ldd); c8_1.intoArray(dst, dOff + 8 * ldd + VL);
        c9_0.intoArray(dst, dOff + 9 * ldd); c9_1.intoArray(dst, dOff + 9 * ldd + VL);
        c10_0.intoArray(dst, dOff + 10 * ldd); c10_1.intoArray(dst, dOff + 10 * ldd + VL);
        c11_0.intoArray(dst, dOff + 11 * ldd); c11_1.intoArray(dst, dOff + 11 * ldd + VL);
        return touched;
    }

    /**
     * {@link #tile} for a block whose last rows are one full tile and one or two more (a batch of one ViT-B/32 image is
     * 50 rows, RN50's 7×7 maps 49): the 12 rows as {@link #tile} does them, plus the first two rows of the next panel
     * (from ap2o, the next panel's offset for the same slice) as a raw product into tail[0, 2·NR) — what {@link #tile4}
     * would compute for them, bit for bit, but in this tile's loop: 14 rows of FMAs where the separate 4-row tile made
     * it 16 and ran latency-bound (its 8 accumulators are one FMA chain each). 28 accumulators, two B vectors and the
     * broadcasts folded into the FMAs fit the 32 AVX-512 registers. A copy of {@link #tile}, for the class comment's reason.
     */
    static void tile14(float[] ap, int apo, int ap2o, float[] bp, int bpo, int kc, float[] src, int sOff, int lds,
                       float[] dst, int dOff, int ldd, float[] bias, int biasOff, float floor, float[] tail) {
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
        FloatVector c12_0 = z, c12_1 = z;
        FloatVector c13_0 = z, c13_1 = z;
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR, ao2 = ap2o + p * MR;
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
            FloatVector a12 = FloatVector.broadcast(S, ap[ao2 + 0]);
            c12_0 = a12.fma(b0, c12_0); c12_1 = a12.fma(b1, c12_1);
            FloatVector a13 = FloatVector.broadcast(S, ap[ao2 + 1]);
            c13_0 = a13.fma(b0, c13_0); c13_1 = a13.fma(b1, c13_1);
        }
        c12_0.intoArray(tail, 0); c12_1.intoArray(tail, VL);
        c13_0.intoArray(tail, NR); c13_1.intoArray(tail, NR + VL);
        {
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
        {
            c0_0 = c0_0.add(FloatVector.fromArray(S, src, sOff + 0 * lds));
            c0_1 = c0_1.add(FloatVector.fromArray(S, src, sOff + 0 * lds + VL));
            c1_0 = c1_0.add(FloatVector.fromArray(S, src, sOff + 1 * lds));
            c1_1 = c1_1.add(FloatVector.fromArray(S, src, sOff + 1 * lds + VL));
            c2_0 = c2_0.add(FloatVector.fromArray(S, src, sOff + 2 * lds));
            c2_1 = c2_1.add(FloatVector.fromArray(S, src, sOff + 2 * lds + VL));
            c3_0 = c3_0.add(FloatVector.fromArray(S, src, sOff + 3 * lds));
            c3_1 = c3_1.add(FloatVector.fromArray(S, src, sOff + 3 * lds + VL));
            c4_0 = c4_0.add(FloatVector.fromArray(S, src, sOff + 4 * lds));
            c4_1 = c4_1.add(FloatVector.fromArray(S, src, sOff + 4 * lds + VL));
            c5_0 = c5_0.add(FloatVector.fromArray(S, src, sOff + 5 * lds));
            c5_1 = c5_1.add(FloatVector.fromArray(S, src, sOff + 5 * lds + VL));
            c6_0 = c6_0.add(FloatVector.fromArray(S, src, sOff + 6 * lds));
            c6_1 = c6_1.add(FloatVector.fromArray(S, src, sOff + 6 * lds + VL));
            c7_0 = c7_0.add(FloatVector.fromArray(S, src, sOff + 7 * lds));
            c7_1 = c7_1.add(FloatVector.fromArray(S, src, sOff + 7 * lds + VL));
            c8_0 = c8_0.add(FloatVector.fromArray(S, src, sOff + 8 * lds));
            c8_1 = c8_1.add(FloatVector.fromArray(S, src, sOff + 8 * lds + VL));
            c9_0 = c9_0.add(FloatVector.fromArray(S, src, sOff + 9 * lds));
            c9_1 = c9_1.add(FloatVector.fromArray(S, src, sOff + 9 * lds + VL));
            c10_0 = c10_0.add(FloatVector.fromArray(S, src, sOff + 10 * lds));
            c10_1 = c10_1.add(FloatVector.fromArray(S, src, sOff + 10 * lds + VL));
            c11_0 = c11_0.add(FloatVector.fromArray(S, src, sOff + 11 * lds));
            c11_1 = c11_1.add(FloatVector.fromArray(S, src, sOff + 11 * lds + VL));
        }
        {
            FloatVector lo = FloatVector.broadcast(S, floor);
            c0_0 = c0_0.blend(lo, c0_0.compare(VectorOperators.LE, lo));
            c0_1 = c0_1.blend(lo, c0_1.compare(VectorOperators.LE, lo));
            c1_0 = c1_0.blend(lo, c1_0.compare(VectorOperators.LE, lo));
            c1_1 = c1_1.blend(lo, c1_1.compare(VectorOperators.LE, lo));
            c2_0 = c2_0.blend(lo, c2_0.compare(VectorOperators.LE, lo));
            c2_1 = c2_1.blend(lo, c2_1.compare(VectorOperators.LE, lo));
            c3_0 = c3_0.blend(lo, c3_0.compare(VectorOperators.LE, lo));
            c3_1 = c3_1.blend(lo, c3_1.compare(VectorOperators.LE, lo));
            c4_0 = c4_0.blend(lo, c4_0.compare(VectorOperators.LE, lo));
            c4_1 = c4_1.blend(lo, c4_1.compare(VectorOperators.LE, lo));
            c5_0 = c5_0.blend(lo, c5_0.compare(VectorOperators.LE, lo));
            c5_1 = c5_1.blend(lo, c5_1.compare(VectorOperators.LE, lo));
            c6_0 = c6_0.blend(lo, c6_0.compare(VectorOperators.LE, lo));
            c6_1 = c6_1.blend(lo, c6_1.compare(VectorOperators.LE, lo));
            c7_0 = c7_0.blend(lo, c7_0.compare(VectorOperators.LE, lo));
            c7_1 = c7_1.blend(lo, c7_1.compare(VectorOperators.LE, lo));
            c8_0 = c8_0.blend(lo, c8_0.compare(VectorOperators.LE, lo));
            c8_1 = c8_1.blend(lo, c8_1.compare(VectorOperators.LE, lo));
            c9_0 = c9_0.blend(lo, c9_0.compare(VectorOperators.LE, lo));
            c9_1 = c9_1.blend(lo, c9_1.compare(VectorOperators.LE, lo));
            c10_0 = c10_0.blend(lo, c10_0.compare(VectorOperators.LE, lo));
            c10_1 = c10_1.blend(lo, c10_1.compare(VectorOperators.LE, lo));
            c11_0 = c11_0.blend(lo, c11_0.compare(VectorOperators.LE, lo));
            c11_1 = c11_1.blend(lo, c11_1.compare(VectorOperators.LE, lo));
        }
        c0_0.intoArray(dst, dOff + 0 * ldd); c0_1.intoArray(dst, dOff + 0 * ldd + VL);
        c1_0.intoArray(dst, dOff + 1 * ldd); c1_1.intoArray(dst, dOff + 1 * ldd + VL);
        c2_0.intoArray(dst, dOff + 2 * ldd); c2_1.intoArray(dst, dOff + 2 * ldd + VL);
        c3_0.intoArray(dst, dOff + 3 * ldd); c3_1.intoArray(dst, dOff + 3 * ldd + VL);
        c4_0.intoArray(dst, dOff + 4 * ldd); c4_1.intoArray(dst, dOff + 4 * ldd + VL);
        c5_0.intoArray(dst, dOff + 5 * ldd); c5_1.intoArray(dst, dOff + 5 * ldd + VL);
        c6_0.intoArray(dst, dOff + 6 * ldd); c6_1.intoArray(dst, dOff + 6 * ldd + VL);
        c7_0.intoArray(dst, dOff + 7 * ldd); c7_1.intoArray(dst, dOff + 7 * ldd + VL);
        c8_0.intoArray(dst, dOff + 8 * ldd); c8_1.intoArray(dst, dOff + 8 * ldd + VL);
        c9_0.intoArray(dst, dOff + 9 * ldd); c9_1.intoArray(dst, dOff + 9 * ldd + VL);
        c10_0.intoArray(dst, dOff + 10 * ldd); c10_1.intoArray(dst, dOff + 10 * ldd + VL);
        c11_0.intoArray(dst, dOff + 11 * ldd); c11_1.intoArray(dst, dOff + 11 * ldd + VL);
    }

    /** Rows of {@link #tile4}. */
    static final int EDGE_MR = 4;

    /**
     * Rows r0..r0+3 of a packed-A panel (apo points at the panel's first row for reduction index 0 of the slice,
     * plus r0) times the B micro-panel, written plainly to dst (row stride ldd). For the last, short row tile of
     * a GEMM: a batch of one ViT image has M = 50, and computing its 2-row tail as a full 12-row tile was a sixth
     * of every GEMM's work. Bias, accumulation and activation are added by the caller's edge path.
     *
     * <p>It sums over k in the full tile's order, so a row's result does not depend on where it falls, i.e. on the
     * batch it came in (GemmTest checks this bit for bit; GradCache relies on it). A 2-row tile with even and odd
     * steps in separate accumulators was FMA-bound at half this tile's time (one thread, 50×3072×768: 145 → 163
     * GFLOP/s) and was dropped for summing in a different order.
     */
    static void tile4(float[] ap, int apo, float[] bp, int bpo, int kc, float[] dst, int dOff, int ldd) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            c0_0 = a0.fma(b0, c0_0); c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            c1_0 = a1.fma(b0, c1_0); c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            c2_0 = a2.fma(b0, c2_0); c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            c3_0 = a3.fma(b0, c3_0); c3_1 = a3.fma(b1, c3_1);
        }
        c0_0.intoArray(dst, dOff); c0_1.intoArray(dst, dOff + VL);
        c1_0.intoArray(dst, dOff + ldd); c1_1.intoArray(dst, dOff + ldd + VL);
        c2_0.intoArray(dst, dOff + 2 * ldd); c2_1.intoArray(dst, dOff + 2 * ldd + VL);
        c3_0.intoArray(dst, dOff + 3 * ldd); c3_1.intoArray(dst, dOff + 3 * ldd + VL);
    }

    /**
     * {@link #tile4} for eight rows (16 accumulators, so no FMA chain waits on its own latency): a rest of five to
     * eight rows — one short text's 7 token rows, ViT-B/16's 197 = 16·12 + 5 — in one pass over the B micro-panel
     * instead of two. Same summation order per row as every other tile. One 7-token text through ViT-B/32's text tower
     * (both ways alternating in one JVM, bit-identical): 0.881 [0.832..0.920] and 0.919 [0.892..0.957] of the time;
     * ViT-B/16 images at batch 1 (ModelAB, previous classes on side A) 1.006 [0.945..1.069], no change to see.
     */
    static void tile8(float[] ap, int apo, float[] bp, int bpo, int kc, float[] dst, int dOff, int ldd) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        for (int p = 0; p < kc; p++) {
            int bo = bpo + p * NR, ao = apo + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
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
        }
        c0_0.intoArray(dst, dOff); c0_1.intoArray(dst, dOff + VL);
        c1_0.intoArray(dst, dOff + ldd); c1_1.intoArray(dst, dOff + ldd + VL);
        c2_0.intoArray(dst, dOff + 2 * ldd); c2_1.intoArray(dst, dOff + 2 * ldd + VL);
        c3_0.intoArray(dst, dOff + 3 * ldd); c3_1.intoArray(dst, dOff + 3 * ldd + VL);
        c4_0.intoArray(dst, dOff + 4 * ldd); c4_1.intoArray(dst, dOff + 4 * ldd + VL);
        c5_0.intoArray(dst, dOff + 5 * ldd); c5_1.intoArray(dst, dOff + 5 * ldd + VL);
        c6_0.intoArray(dst, dOff + 6 * ldd); c6_1.intoArray(dst, dOff + 6 * ldd + VL);
        c7_0.intoArray(dst, dOff + 7 * ldd); c7_1.intoArray(dst, dOff + 7 * ldd + VL);
    }
}
