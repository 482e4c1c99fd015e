package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.KC;
import static io.flinkclip.kernels.MicroKernel.MR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

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
 * packed by an in-register transpose ({@link Transpose#rows12}), shorter ones by gathers.
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
            // Per run of channels within one tap: blocks of 16 reduction indices by Transpose.rows12, the rest by
            // one gather per index of VL consecutive rows (their offsets are rowOffs[i ..]). Stores of VL lanes
            // spill past MR into the next index's slots, which the next store overwrites.
            for (int i = i0, base = 0; i < i1; i += MR, base += MR * kc) {
                for (int kk = pc, end = pc + kc; kk < end; ) {
                    int t = kk / c, p = kk - t * c, len = Math.min(c - p, end - kk), from = taps[t] + p;
                    int d = base + (kk - pc) * MR, s = 0;
                    if (Transpose.AVAILABLE) for (; s + 16 <= len; s += 16, d += 16 * MR) Transpose.rows12(a, rowOffs, i, from + s, dst, d);
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
