package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.KC;
import static io.flinkclip.kernels.MicroKernel.MR;

/**
 * Direct (implicit-GEMM) convolution over channels-last maps: y[b, oy, ox, o] = Σ w[o, (i, j, ci)] ·
 * x[b, oy·s + i − pad, ox·s + j − pad, ci] (+ bias[o]), then an activation. The micro-kernel reads A straight
 * from the input: an output pixel's im2col row is k·k channel runs of the input at fixed distances, so it is
 * described by one row offset plus the per-tap offsets, and no im2col matrix or packed A panel is ever
 * written. Padding is handled by a zero-bordered copy of the input, so the inner loop has no bounds logic.
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
                Sgemm.runBlocks(new InputRows(a, rowOffs, taps, c), weight.data, bias, y, b0 * oh * ow * out, rows,
                        out, weight.k, accumulate, act);
            }
        } finally {
            Scratch.release(Scratch.CONV_PAD, xp);
        }
    }

    /** Offset of the first tap of every output pixel's im2col row, padded to whole MR-row tiles. */
    private static int[] rowOffsets(int base, int images, int oh, int ow, int hp, int wp, int c, int stride) {
        int rows = images * oh * ow;
        int[] offs = new int[(rows + MR - 1) / MR * MR];
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
    private static final class InputRows extends Sgemm.Lhs {
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

        @Override
        int partRows() { return ConvMicroKernel.ROWS; }

        @Override
        void tilePart(int i, int r0, int pc, int kc, float[] bp, int bpo, float[] dst, int dOff, int ldd) {
            float[] z = MicroKernel.ZEROS;
            ConvMicroKernel.tileConv(a, rowOffs, i + r0, taps, c, pc, kc, bp, bpo, z, 0, 0, dst, dOff, ldd, z, 0);
        }

        @Override
        void tile(int i, int pc, int kc, float[] bp, int bpo, float[] src, int sOff, int lds, float[] dst, int dOff,
                  int ldd, float[] bias, int biasOff) {
            int h = ConvMicroKernel.ROWS; // two half tiles (see ConvMicroKernel#tileConv for why)
            ConvMicroKernel.tileConv(a, rowOffs, i, taps, c, pc, kc, bp, bpo, src, sOff, lds, dst, dOff, ldd, bias, biasOff);
            ConvMicroKernel.tileConv(a, rowOffs, i + h, taps, c, pc, kc, bp, bpo, src, sOff + h * lds, lds, dst, dOff + h * ldd, ldd,
                    bias, biasOff);
        }
    }
}
