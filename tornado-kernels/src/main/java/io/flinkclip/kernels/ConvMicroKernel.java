package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.NR;
import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;

/** The register tile of {@link ConvNhwc}: half of {@link MicroKernel}'s 12×32 tile (6×32), with A gathered from a conv input. */
final class ConvMicroKernel {
    private ConvMicroKernel() {}

    /** Rows of C per call: half of {@link MicroKernel#MR}, so the caller covers a 12-row tile with two calls. */
    static final int ROWS = 6;

    /**
     * As {@link MicroKernel#tile} for {@link #ROWS} rows, with A read in place from a channels-last convolution
     * input instead of packed panels (implicit GEMM). Row r of A is the concatenation, over kernel taps t, of the
     * {@code c} channels at a[rowOffs[ro + r] + segOffs[t] ..]; the tile covers reduction indices [k0, k0 + kc) of
     * that concatenation, which may start or end inside a tap. B is packed as usual, from bpo for index k0.
     * No packing pass (it cost more than the in-place reads at ResNet's narrow layers, N = 32..256).
     *
     * <p>Why 6 rows and not 12 like the GEMM tile: every row needs its own input offset in a general-purpose
     * register, and 12 of them plus the loop's own values do not fit x86's 16. C2 then spills, and which values it
     * spills depends on profiles shared with the other users of the Vector API methods: after a large GEMM had run
     * in the JVM it usually spilled accumulators into the loop (RN50 batch 32: 12.4 vs 19.2 images/s, depending on
     * what ran first). With 6 rows nothing spills; it costs ~9 % against the fast 12-row compilation (B is read
     * twice from L1) and is the same whatever ran first (measured 16.9–17.7 images/s both ways; 8 + 4 rows: 16.0–17.0).
     */
    static void tileConv(float[] a, int[] rowOffs, int ro, int[] segOffs, int c, int k0, int kc, float[] bp, int bpo,
                         float[] src, int sOff, int lds, float[] dst, int dOff, int ldd, float[] bias, int biasOff) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z;
        FloatVector c1_0 = z, c1_1 = z;
        FloatVector c2_0 = z, c2_1 = z;
        FloatVector c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z;
        FloatVector c5_0 = z, c5_1 = z;
        int o0 = rowOffs[ro + 0];
        int o1 = rowOffs[ro + 1];
        int o2 = rowOffs[ro + 2];
        int o3 = rowOffs[ro + 3];
        int o4 = rowOffs[ro + 4];
        int o5 = rowOffs[ro + 5];
        for (int kk = k0, end = k0 + kc; kk < end; ) {
            int t = kk / c, p = kk - t * c, len = Math.min(c - p, end - kk);
            int q0 = segOffs[t] + p, b0o = bpo + (kk - k0) * NR;
            for (int s = 0; s < len; s++) {
                int q = q0 + s, bo = b0o + s * NR;
                FloatVector b0 = FloatVector.fromArray(S, bp, bo);
                FloatVector b1 = FloatVector.fromArray(S, bp, bo + VL);
                FloatVector a0 = FloatVector.broadcast(S, a[q + o0]);
                c0_0 = a0.fma(b0, c0_0); c0_1 = a0.fma(b1, c0_1);
                FloatVector a1 = FloatVector.broadcast(S, a[q + o1]);
                c1_0 = a1.fma(b0, c1_0); c1_1 = a1.fma(b1, c1_1);
                FloatVector a2 = FloatVector.broadcast(S, a[q + o2]);
                c2_0 = a2.fma(b0, c2_0); c2_1 = a2.fma(b1, c2_1);
                FloatVector a3 = FloatVector.broadcast(S, a[q + o3]);
                c3_0 = a3.fma(b0, c3_0); c3_1 = a3.fma(b1, c3_1);
                FloatVector a4 = FloatVector.broadcast(S, a[q + o4]);
                c4_0 = a4.fma(b0, c4_0); c4_1 = a4.fma(b1, c4_1);
                FloatVector a5 = FloatVector.broadcast(S, a[q + o5]);
                c5_0 = a5.fma(b0, c5_0); c5_1 = a5.fma(b1, c5_1);
            }
            kk += len;
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
        }
        c0_0.intoArray(dst, dOff + 0 * ldd); c0_1.intoArray(dst, dOff + 0 * ldd + VL);
        c1_0.intoArray(dst, dOff + 1 * ldd); c1_1.intoArray(dst, dOff + 1 * ldd + VL);
        c2_0.intoArray(dst, dOff + 2 * ldd); c2_1.intoArray(dst, dOff + 2 * ldd + VL);
        c3_0.intoArray(dst, dOff + 3 * ldd); c3_1.intoArray(dst, dOff + 3 * ldd + VL);
        c4_0.intoArray(dst, dOff + 4 * ldd); c4_1.intoArray(dst, dOff + 4 * ldd + VL);
        c5_0.intoArray(dst, dOff + 5 * ldd); c5_1.intoArray(dst, dOff + 5 * ldd + VL);
    }
}
