package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.NR;
import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;

/** The register tile of {@link ConvNhwc}: {@link MicroKernel}'s 12×32 tile with A gathered from a conv input. */
final class ConvMicroKernel {
    private ConvMicroKernel() {}

    /**
     * As {@link MicroKernel#tile}, with A read in place from a channels-last convolution input instead of packed
     * panels (implicit GEMM). Row r of A is the concatenation, over kernel taps t, of the {@code c} channels at
     * a[rowOffs[ro + r] + segOffs[t] ..]; the tile covers reduction indices [k0, k0 + kc) of that
     * concatenation, which may start or end inside a tap. B is packed as usual, from bpo for index k0.
     * Measured single-threaded against the packed kernel on in-L2 operands: ~15% slower per flop (each
     * broadcast needs its own address add), but it needs no packing pass, which cost more than that at
     * ResNet's narrow layers (N = 32..256).
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
        FloatVector c6_0 = z, c6_1 = z;
        FloatVector c7_0 = z, c7_1 = z;
        FloatVector c8_0 = z, c8_1 = z;
        FloatVector c9_0 = z, c9_1 = z;
        FloatVector c10_0 = z, c10_1 = z;
        FloatVector c11_0 = z, c11_1 = z;
        int o0 = rowOffs[ro + 0];
        int o1 = rowOffs[ro + 1];
        int o2 = rowOffs[ro + 2];
        int o3 = rowOffs[ro + 3];
        int o4 = rowOffs[ro + 4];
        int o5 = rowOffs[ro + 5];
        int o6 = rowOffs[ro + 6];
        int o7 = rowOffs[ro + 7];
        int o8 = rowOffs[ro + 8];
        int o9 = rowOffs[ro + 9];
        int o10 = rowOffs[ro + 10];
        int o11 = rowOffs[ro + 11];
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
                FloatVector a6 = FloatVector.broadcast(S, a[q + o6]);
                c6_0 = a6.fma(b0, c6_0); c6_1 = a6.fma(b1, c6_1);
                FloatVector a7 = FloatVector.broadcast(S, a[q + o7]);
                c7_0 = a7.fma(b0, c7_0); c7_1 = a7.fma(b1, c7_1);
                FloatVector a8 = FloatVector.broadcast(S, a[q + o8]);
                c8_0 = a8.fma(b0, c8_0); c8_1 = a8.fma(b1, c8_1);
                FloatVector a9 = FloatVector.broadcast(S, a[q + o9]);
                c9_0 = a9.fma(b0, c9_0); c9_1 = a9.fma(b1, c9_1);
                FloatVector a10 = FloatVector.broadcast(S, a[q + o10]);
                c10_0 = a10.fma(b0, c10_0); c10_1 = a10.fma(b1, c10_1);
                FloatVector a11 = FloatVector.broadcast(S, a[q + o11]);
                c11_0 = a11.fma(b0, c11_0); c11_1 = a11.fma(b1, c11_1);
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
}
