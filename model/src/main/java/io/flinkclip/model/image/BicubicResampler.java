package io.flinkclip.model.image;

/**
 * Pillow 9.4's BICUBIC resize ({@code libImaging/Resample.c}) reproduced bit for bit: Keys cubic with
 * a = −0.5, support widened by the scale factor when shrinking (antialiasing), horizontal pass first and then
 * vertical. 8-bit images use coefficients in fixed point with 22 fractional bits and clip each pass to
 * 0..255; 32-bit integer images (mode "I") use the double coefficients and round half away from zero.
 *
 * <p>Every output pixel depends only on its own coefficients, so the methods compute just a window of the
 * resized image (the centre crop) and give the same bytes as resizing everything and cropping afterwards.
 */
final class BicubicResampler {
    private static final double SUPPORT = 2.0;
    static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private BicubicResampler() {}

    /**
     * Filter taps of one axis for outputs [first, first + count): output first+i reads input
     * [min[i], min[i] + len[i]) with the weights at i * ksize.
     */
    record Coefficients(int first, int ksize, int[] min, int[] len, double[] weights) {
        int[] fixedPoint() {
            int[] k = new int[weights.length];
            for (int i = 0; i < k.length; i++) {
                double w = weights[i];
                k[i] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
            }
            return k;
        }
    }

    static double cubic(double x) {
        final double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /**
     * Pillow's precompute_coeffs for the box [0, inSize) (same floating-point operations in the same order),
     * for the outputs [first, first + count) only.
     */
    static Coefficients coefficients(int inSize, int outSize, int first, int count) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = filterscale * SUPPORT;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        if ((long) ksize * count > Integer.MAX_VALUE - 8) {
            throw new ImageDecodeException("resize " + inSize + " -> " + outSize + " needs too many coefficients");
        }
        int[] mins = new int[count];
        int[] lens = new int[count];
        double[] kk = new double[ksize * count];
        double ss = 1.0 / filterscale;
        for (int xx = first; xx < first + count; xx++) {
            double center = 0.0 + (xx + 0.5) * scale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            int base = (xx - first) * ksize;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = cubic((x + xmin - center + 0.5) * ss);
                kk[base + x] = w;
                ww += w;
            }
            if (ww != 0.0) {
                for (int x = 0; x < xmax; x++) kk[base + x] /= ww;
            }
            mins[xx - first] = xmin;
            lens[xx - first] = xmax;
        }
        return new Coefficients(first, ksize, mins, lens, kk);
    }

    private static int clip8(int v) {
        v >>= PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * Resizes an 8-bit interleaved image of {@code ch} bytes per pixel from w×h to outW×outH and returns the
     * window of columns [x0, x0+cw) and rows [y0, y0+rh) of the result (cw×rh×ch bytes).
     */
    static byte[] resize8(byte[] src, int w, int h, int ch, int outW, int outH, int x0, int y0, int cw, int rh) {
        checkWindow(outW, outH, x0, y0, cw, rh);
        boolean needH = outW != w;
        boolean needV = outH != h;
        Coefficients cv = needV ? coefficients(h, outH, y0, rh) : null;
        // Input rows the window needs (Pillow's ybox_first/ybox_last, restricted to the window).
        int rowFirst = needV ? cv.min()[0] : y0;
        int rowEnd = needV ? cv.min()[rh - 1] + cv.len()[rh - 1] : y0 + rh;
        byte[] mid; // rows [rowFirst, rowEnd) of the horizontally resized image, window columns only
        if (needH) {
            mid = horizontal8(src, w, ch, coefficients(w, outW, x0, cw), rowFirst, rowEnd - rowFirst);
        } else {
            mid = new byte[(rowEnd - rowFirst) * cw * ch];
            for (int y = rowFirst; y < rowEnd; y++) {
                System.arraycopy(src, (y * w + x0) * ch, mid, (y - rowFirst) * cw * ch, cw * ch);
            }
        }
        if (!needV) return mid;
        return vertical8(mid, cw * ch, cv, rowFirst);
    }

    private static byte[] horizontal8(byte[] src, int w, int ch, Coefficients c, int row0, int rows) {
        int cw = c.min().length;
        int[] k = c.fixedPoint();
        int ksize = c.ksize();
        int[] mins = c.min();
        int[] lens = c.len();
        byte[] out = new byte[rows * cw * ch];
        int o = 0;
        for (int yy = 0; yy < rows; yy++) {
            int rowBase = (row0 + yy) * w * ch;
            for (int xx = 0; xx < cw; xx++) {
                int kb = xx * ksize;
                int n = lens[xx];
                int p = rowBase + mins[xx] * ch;
                switch (ch) {
                    case 1 -> {
                        int s0 = HALF;
                        for (int x = 0; x < n; x++) s0 += (src[p + x] & 255) * k[kb + x];
                        out[o++] = (byte) clip8(s0);
                    }
                    case 3 -> {
                        int s0 = HALF, s1 = HALF, s2 = HALF;
                        for (int x = 0; x < n; x++, p += 3) {
                            int kx = k[kb + x];
                            s0 += (src[p] & 255) * kx;
                            s1 += (src[p + 1] & 255) * kx;
                            s2 += (src[p + 2] & 255) * kx;
                        }
                        out[o++] = (byte) clip8(s0);
                        out[o++] = (byte) clip8(s1);
                        out[o++] = (byte) clip8(s2);
                    }
                    case 4 -> {
                        int s0 = HALF, s1 = HALF, s2 = HALF, s3 = HALF;
                        for (int x = 0; x < n; x++, p += 4) {
                            int kx = k[kb + x];
                            s0 += (src[p] & 255) * kx;
                            s1 += (src[p + 1] & 255) * kx;
                            s2 += (src[p + 2] & 255) * kx;
                            s3 += (src[p + 3] & 255) * kx;
                        }
                        out[o++] = (byte) clip8(s0);
                        out[o++] = (byte) clip8(s1);
                        out[o++] = (byte) clip8(s2);
                        out[o++] = (byte) clip8(s3);
                    }
                    default -> {
                        for (int b = 0; b < ch; b++) {
                            int s = HALF;
                            for (int x = 0; x < n; x++) s += (src[p + x * ch + b] & 255) * k[kb + x];
                            out[o++] = (byte) clip8(s);
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Vertical pass over {@code mid} (rows starting at input row {@code row0}, {@code rowLen} bytes each) for
     * the output rows of {@code c}. Integer sums are exact, so accumulating a whole row at a time (which the JIT
     * vectorises) gives Pillow's per-pixel result.
     */
    private static byte[] vertical8(byte[] mid, int rowLen, Coefficients c, int row0) {
        int rh = c.min().length;
        int[] k = c.fixedPoint();
        int ksize = c.ksize();
        byte[] out = new byte[rh * rowLen];
        int[] acc = new int[rowLen];
        for (int yy = 0; yy < rh; yy++) {
            java.util.Arrays.fill(acc, HALF);
            int kb = yy * ksize;
            int first = c.min()[yy] - row0;
            for (int y = 0; y < c.len()[yy]; y++) {
                int ky = k[kb + y];
                int base = (first + y) * rowLen;
                for (int i = 0; i < rowLen; i++) acc[i] += (mid[base + i] & 255) * ky;
            }
            int ob = yy * rowLen;
            for (int i = 0; i < rowLen; i++) out[ob + i] = (byte) clip8(acc[i]);
        }
        return out;
    }

    /**
     * The same for a one-channel 32-bit integer image (Pillow mode "I"): double coefficients, sums in Pillow's
     * order, each pass rounded half away from zero to int.
     */
    static int[] resize32(int[] src, int w, int h, int outW, int outH, int x0, int y0, int cw, int rh) {
        checkWindow(outW, outH, x0, y0, cw, rh);
        boolean needH = outW != w;
        boolean needV = outH != h;
        Coefficients cv = needV ? coefficients(h, outH, y0, rh) : null;
        int rowFirst = needV ? cv.min()[0] : y0;
        int rowEnd = needV ? cv.min()[rh - 1] + cv.len()[rh - 1] : y0 + rh;
        int rows = rowEnd - rowFirst;
        int[] mid = new int[rows * cw];
        if (needH) {
            Coefficients c = coefficients(w, outW, x0, cw);
            double[] k = c.weights();
            for (int yy = 0; yy < rows; yy++) {
                int rowBase = (rowFirst + yy) * w;
                for (int xx = 0; xx < cw; xx++) {
                    int kb = xx * c.ksize();
                    int p = rowBase + c.min()[xx];
                    double ss = 0.0;
                    for (int x = 0; x < c.len()[xx]; x++) ss += src[p + x] * k[kb + x];
                    mid[yy * cw + xx] = roundUp(ss);
                }
            }
        } else {
            for (int y = 0; y < rows; y++) System.arraycopy(src, (rowFirst + y) * w + x0, mid, y * cw, cw);
        }
        if (!needV) return mid;
        int[] out = new int[rh * cw];
        double[] k = cv.weights();
        for (int yy = 0; yy < rh; yy++) {
            int kb = yy * cv.ksize();
            int first = cv.min()[yy] - rowFirst;
            for (int xx = 0; xx < cw; xx++) {
                double ss = 0.0;
                for (int y = 0; y < cv.len()[yy]; y++) ss += mid[(first + y) * cw + xx] * k[kb + y];
                out[yy * cw + xx] = roundUp(ss);
            }
        }
        return out;
    }

    /** Pillow's ROUND_UP: half away from zero, then truncate. */
    private static int roundUp(double f) {
        return (int) (f >= 0.0 ? f + 0.5 : f - 0.5);
    }

    private static void checkWindow(int outW, int outH, int x0, int y0, int cw, int rh) {
        if (cw <= 0 || rh <= 0 || x0 < 0 || y0 < 0 || x0 + cw > outW || y0 + rh > outH) {
            throw new IllegalArgumentException("window " + x0 + "," + y0 + " " + cw + "x" + rh
                    + " outside " + outW + "x" + outH);
        }
    }
}
