package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.KC;
import static io.flinkclip.kernels.MicroKernel.MR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct (implicit-GEMM) convolution over channels-last maps: y[b, oy, ox, o] = Σ w[o, (i, j, ci)] ·
 * x[b, oy·s + i − pad, ox·s + j − pad, ci] (+ bias[o]), then an activation. An output pixel's im2col row is k·k
 * channel runs of the input at fixed distances (one row offset plus the per-tap offsets), so no im2col matrix
 * is ever written: each GEMM block gathers the rows and K slice it needs straight from the input into small
 * per-thread MR-row panels (L2-resident, shared by all the block's column panels) and runs the packed
 * micro-kernel on them. Padding is handled by a zero-bordered copy of the input, so no loop has bounds logic.
 *
 * <p>Why pack per block: the earlier kernel read A in place through 12 (later 6) row offsets. Every broadcast
 * then needed its own address add, and the loop ran at ~130 GFLOP/s per core with operands in L1 against 225 for
 * the packed tile; with 12 rows the offsets did not even fit the registers (spills, and a speed that depended
 * on what the JIT had compiled before). Packing the slice costs ~10–17 % of RN50's time and the faster tile
 * more than repays it (RN50 batch 32 +23 %: 17.0 → 20.9 images/s). Runs of ≥ 16 channels within a tap are
 * packed by an in-register transpose ({@link #transposeRows}), shorter ones by gathers.
 *
 * <p>Weights are a {@link PackedMatrix} with n = output channels and k = kh·kw·in, the reduction ordered
 * (tap row, tap column, input channel).
 */
public final class ConvNhwc {
    /** Padded input copied per group of images of about this many floats (bounded scratch). */
    private static final int PAD_FLOATS = 1 << 22;

    private ConvNhwc() {}

    public static int outSize(int size, int k, int stride, int pad) { return (size + 2 * pad - k) / stride + 1; }

    /**
     * x [n, h, w, c] → y [n, oh, ow, weight.n()], square kernel {@code k}; with {@code accumulate} the product is
     * added to y's old contents before {@code act} (a fused residual).
     */
    public static void conv2d(float[] x, int n, int h, int w, int c, int k, int stride, int pad, PackedMatrix weight,
                              float[] bias, float[] y, boolean accumulate, Epilogue act) {
        Checks.dims("n", n, "c", c);
        Checks.dims("h", h, "w", w);
        if (k <= 0 || stride <= 0 || pad < 0 || pad >= k)
            throw new IllegalArgumentException("bad conv geometry: kernel " + k + ", stride " + stride + ", pad " + pad);
        if (h + 2 * pad < k || w + 2 * pad < k)
            throw new IllegalArgumentException("kernel " + k + "x" + k + " larger than padded input " + (h + 2 * pad) + "x" + (w + 2 * pad));
        if (weight == null || weight.k != k * k * c)
            throw new IllegalArgumentException("weight reduction length " + (weight == null ? "null" : weight.k) + " != " + k + "·" + k + "·" + c);
        int out = weight.n, oh = outSize(h, k, stride, pad), ow = outSize(w, k, stride, pad);
        Checks.range("x", x, 0, (long) n * h * w * c);
        Checks.range("y", y, 0, (long) n * oh * ow * out);
        if (bias != null && bias.length < out) throw new IllegalArgumentException("bias has " + bias.length + " values, need " + out);
        if (n == 0) return;
        int hp = h + 2 * pad, wp = w + 2 * pad;
        long paddedImage = (long) hp * wp * c;
        // Rows are addressed with int offsets into one array: the group (padded or not) must fit.
        int group = (int) Math.max(1, Math.min(n, (pad > 0 ? PAD_FLOATS : Integer.MAX_VALUE - 64) / paddedImage));
        if (paddedImage * group > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("conv input too large: " + paddedImage + " floats per image");
        int[] taps = new int[k * k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) taps[i * k + j] = (i * wp + j) * c;
        float[] xp = pad > 0 ? Scratch.acquire(Scratch.CONV_PAD, (int) (group * paddedImage)) : null;
        try {
            for (int b0 = 0; b0 < n; b0 += group) {
                int images = Math.min(group, n - b0), rows = images * oh * ow;
                float[] a = x;
                int base = b0 * h * w * c;
                if (pad > 0) {
                    padInto(x, base, images, h, w, c, pad, xp);
                    a = xp;
                    base = 0;
                }
                int[] rowOffs = rowOffsets(base, images, oh, ow, hp, wp, c, stride);
                Sgemm.runBlocks(new InputRows(a, rowOffs, taps, c), weight, bias, y, b0 * oh * ow * out, rows,
                        out, weight.k, accumulate, act);
            }
        } finally {
            Scratch.release(Scratch.CONV_PAD, xp);
        }
    }

    /** Offset of the first tap of every output pixel's im2col row, padded to whole MR-row tiles. */
    private static int[] rowOffsets(int base, int images, int oh, int ow, int hp, int wp, int c, int stride) {
        int rows = images * oh * ow;
        // Whole MR-row tiles plus VL more entries, so a slice gather of VL lanes from any tile's first row stays inside.
        int[] offs = new int[(rows + MR - 1) / MR * MR + MicroKernel.VL];
        for (int r = 0, img = 0; img < images; img++) {
            for (int oy = 0; oy < oh; oy++) {
                int rowStart = base + ((img * hp + oy * stride) * wp) * c;
                for (int ox = 0; ox < ow; ox++) offs[r++] = rowStart + ox * stride * c;
            }
        }
        // Rows past the end (edge tile) read row 0: valid memory, results discarded by the edge path.
        for (int r = rows; r < offs.length; r++) offs[r] = offs[0];
        return offs;
    }

    /** xp[img, y + pad, x + pad, :] = x[base + (img, y, x, :)], zero border. */
    private static void padInto(float[] x, int base, int images, int h, int w, int c, int pad, float[] xp) {
        int hp = h + 2 * pad, wp = w + 2 * pad, rowLen = w * c;
        Parallel.forEach(images * hp, Math.max(1, (1 << 14) / (wp * c)), ry -> {
            int img = ry / hp, yy = ry % hp, d = ry * wp * c, sy = yy - pad;
            if (sy < 0 || sy >= h) {
                java.util.Arrays.fill(xp, d, d + wp * c, 0f);
                return;
            }
            java.util.Arrays.fill(xp, d, d + pad * c, 0f);
            System.arraycopy(x, base + (img * h + sy) * rowLen, xp, d + pad * c, rowLen);
            java.util.Arrays.fill(xp, d + (pad + w) * c, d + wp * c, 0f);
        });
    }

    /** Lanes of {@link #transposeRows}' vectors (AVX-512); other vector widths gather every index. */
    private static final int VL_T = 16;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    /**
     * Two-source lane selections (vpermt2ps) for the transpose's four stages b = 8, 4, 2, 1: rows i and i + b
     * swap their off-diagonal b-lane blocks. LO_b picks lanes of the new row i, HI_b of the new row i + b; indices
     * ≥ 16 select from the second source. Integer lanes: a float index vector is converted on every use.
     */
    private static final IntVector LO8 = swapLanes(8, false), HI8 = swapLanes(8, true), LO4 = swapLanes(4, false),
            HI4 = swapLanes(4, true), LO2 = swapLanes(2, false), HI2 = swapLanes(2, true), LO1 = swapLanes(1, false),
            HI1 = swapLanes(1, true);

    private static IntVector swapLanes(int b, boolean high) {
        int[] idx = new int[VL_T];
        for (int l = 0; l < VL_T; l++) {
            boolean second = (l & b) != 0;
            idx[l] = high ? (second ? VL_T + l : l + b) : (second ? VL_T + l - b : l);
        }
        return IntVector.fromArray(I16, idx, 0);
    }

    /**
     * dst[d + t·MR + r] = a[from + rowOffs[i + r] + t] for the MR = 12 rows r and 16 reduction indices t: 12
     * contiguous loads and a 16×16 transpose in registers (rows 12–15 zero) by 64 two-source permutes: 0.120 against
     * 0.172 ns per element for 16 gathers; the 17 RN50 convolutions at batch 32 took 7 % less time in sum (two runs),
     * the 64-channel 3×3 ones 10–13 %, and RN50 batch 32 in the model +3.4 % (mean of 5 alternating pairs). Each
     * 16-lane store runs 4 lanes into the next index's slots, which the next store overwrites; the last one writes
     * up to 4 floats past the block (see {@link Sgemm.SliceSource#packSlice}).
     */
    static void transposeRows(float[] a, int[] rowOffs, int i, int from, float[] dst, int d) {
        var S = MicroKernel.S;
        IntVector z = IntVector.zero(I16);
        IntVector v0 = FloatVector.fromArray(S, a, from + rowOffs[i]).reinterpretAsInts();
        IntVector v1 = FloatVector.fromArray(S, a, from + rowOffs[i + 1]).reinterpretAsInts();
        IntVector v2 = FloatVector.fromArray(S, a, from + rowOffs[i + 2]).reinterpretAsInts();
        IntVector v3 = FloatVector.fromArray(S, a, from + rowOffs[i + 3]).reinterpretAsInts();
        IntVector v4 = FloatVector.fromArray(S, a, from + rowOffs[i + 4]).reinterpretAsInts();
        IntVector v5 = FloatVector.fromArray(S, a, from + rowOffs[i + 5]).reinterpretAsInts();
        IntVector v6 = FloatVector.fromArray(S, a, from + rowOffs[i + 6]).reinterpretAsInts();
        IntVector v7 = FloatVector.fromArray(S, a, from + rowOffs[i + 7]).reinterpretAsInts();
        IntVector v8 = FloatVector.fromArray(S, a, from + rowOffs[i + 8]).reinterpretAsInts();
        IntVector v9 = FloatVector.fromArray(S, a, from + rowOffs[i + 9]).reinterpretAsInts();
        IntVector v10 = FloatVector.fromArray(S, a, from + rowOffs[i + 10]).reinterpretAsInts();
        IntVector v11 = FloatVector.fromArray(S, a, from + rowOffs[i + 11]).reinterpretAsInts();
        // b = 8 (rows 12..15 are zero)
        IntVector w0 = LO8.selectFrom(v0, v8), w8 = HI8.selectFrom(v0, v8);
        IntVector w1 = LO8.selectFrom(v1, v9), w9 = HI8.selectFrom(v1, v9);
        IntVector w2 = LO8.selectFrom(v2, v10), w10 = HI8.selectFrom(v2, v10);
        IntVector w3 = LO8.selectFrom(v3, v11), w11 = HI8.selectFrom(v3, v11);
        IntVector w4 = LO8.selectFrom(v4, z), w12 = HI8.selectFrom(v4, z);
        IntVector w5 = LO8.selectFrom(v5, z), w13 = HI8.selectFrom(v5, z);
        IntVector w6 = LO8.selectFrom(v6, z), w14 = HI8.selectFrom(v6, z);
        IntVector w7 = LO8.selectFrom(v7, z), w15 = HI8.selectFrom(v7, z);
        // b = 4
        v0 = LO4.selectFrom(w0, w4); v4 = HI4.selectFrom(w0, w4);
        v1 = LO4.selectFrom(w1, w5); v5 = HI4.selectFrom(w1, w5);
        v2 = LO4.selectFrom(w2, w6); v6 = HI4.selectFrom(w2, w6);
        v3 = LO4.selectFrom(w3, w7); v7 = HI4.selectFrom(w3, w7);
        v8 = LO4.selectFrom(w8, w12); IntVector v12 = HI4.selectFrom(w8, w12);
        v9 = LO4.selectFrom(w9, w13); IntVector v13 = HI4.selectFrom(w9, w13);
        v10 = LO4.selectFrom(w10, w14); IntVector v14 = HI4.selectFrom(w10, w14);
        v11 = LO4.selectFrom(w11, w15); IntVector v15 = HI4.selectFrom(w11, w15);
        // b = 2
        w0 = LO2.selectFrom(v0, v2); w2 = HI2.selectFrom(v0, v2);
        w1 = LO2.selectFrom(v1, v3); w3 = HI2.selectFrom(v1, v3);
        w4 = LO2.selectFrom(v4, v6); w6 = HI2.selectFrom(v4, v6);
        w5 = LO2.selectFrom(v5, v7); w7 = HI2.selectFrom(v5, v7);
        w8 = LO2.selectFrom(v8, v10); w10 = HI2.selectFrom(v8, v10);
        w9 = LO2.selectFrom(v9, v11); w11 = HI2.selectFrom(v9, v11);
        w12 = LO2.selectFrom(v12, v14); w14 = HI2.selectFrom(v12, v14);
        w13 = LO2.selectFrom(v13, v15); w15 = HI2.selectFrom(v13, v15);
        // b = 1: row t of the transpose is reduction index t of the 12 rows
        LO1.selectFrom(w0, w1).reinterpretAsFloats().intoArray(dst, d);
        HI1.selectFrom(w0, w1).reinterpretAsFloats().intoArray(dst, d + MR);
        LO1.selectFrom(w2, w3).reinterpretAsFloats().intoArray(dst, d + 2 * MR);
        HI1.selectFrom(w2, w3).reinterpretAsFloats().intoArray(dst, d + 3 * MR);
        LO1.selectFrom(w4, w5).reinterpretAsFloats().intoArray(dst, d + 4 * MR);
        HI1.selectFrom(w4, w5).reinterpretAsFloats().intoArray(dst, d + 5 * MR);
        LO1.selectFrom(w6, w7).reinterpretAsFloats().intoArray(dst, d + 6 * MR);
        HI1.selectFrom(w6, w7).reinterpretAsFloats().intoArray(dst, d + 7 * MR);
        LO1.selectFrom(w8, w9).reinterpretAsFloats().intoArray(dst, d + 8 * MR);
        HI1.selectFrom(w8, w9).reinterpretAsFloats().intoArray(dst, d + 9 * MR);
        LO1.selectFrom(w10, w11).reinterpretAsFloats().intoArray(dst, d + 10 * MR);
        HI1.selectFrom(w10, w11).reinterpretAsFloats().intoArray(dst, d + 11 * MR);
        LO1.selectFrom(w12, w13).reinterpretAsFloats().intoArray(dst, d + 12 * MR);
        HI1.selectFrom(w12, w13).reinterpretAsFloats().intoArray(dst, d + 13 * MR);
        LO1.selectFrom(w14, w15).reinterpretAsFloats().intoArray(dst, d + 14 * MR);
        HI1.selectFrom(w14, w15).reinterpretAsFloats().intoArray(dst, d + 15 * MR);
    }

    /** A rows gathered from the (padded) input: row i is the taps of output pixel i. */
    private static final class InputRows extends Sgemm.SliceSource {
        private final float[] a;
        private final int[] rowOffs, taps;
        private final int c, step;

        InputRows(float[] a, int[] rowOffs, int[] taps, int c) {
            this.a = a;
            this.rowOffs = rowOffs;
            this.taps = taps;
            this.c = c;
            // Narrow inputs: whole taps per slice (fewer partial-sum round trips); wide ones: KC-long pieces.
            this.step = c <= KC ? Math.max(1, KC / c) * c : KC;
        }

        @Override
        int kStep() { return step; }

        /** For a gather from tile row r0: the lanes that are rows of the tile (masked lanes load nothing). */
        @SuppressWarnings("unchecked")
        private static final VectorMask<Float>[] ROWS_LEFT = new VectorMask[MR];
        static {
            for (int r0 = 0; r0 < MR; r0++) ROWS_LEFT[r0] = MicroKernel.S.indexInRange(r0, MR);
        }

        @Override
        void packSlice(int i0, int i1, int pc, int kc, float[] dst) {
            // Per run of channels within one tap: blocks of 16 reduction indices by transposeRows, the rest by
            // one gather per index of VL consecutive rows (their offsets are rowOffs[i ..]). Stores of VL lanes
            // spill past MR into the next index's slots, which the next store overwrites.
            for (int i = i0, base = 0; i < i1; i += MR, base += MR * kc) {
                for (int kk = pc, end = pc + kc; kk < end; ) {
                    int t = kk / c, p = kk - t * c, len = Math.min(c - p, end - kk), from = taps[t] + p;
                    int d = base + (kk - pc) * MR, s = 0;
                    if (MicroKernel.VL == VL_T) for (; s + VL_T <= len; s += VL_T, d += VL_T * MR) transposeRows(a, rowOffs, i, from + s, dst, d);
                    for (; s < len; s++, d += MR) {
                        for (int r0 = 0; r0 < MR; r0 += MicroKernel.VL)
                            FloatVector.fromArray(MicroKernel.S, a, from + s, rowOffs, i + r0, ROWS_LEFT[r0]).intoArray(dst, d + r0);
                    }
                    kk += len;
                }
            }
        }
    }
}
