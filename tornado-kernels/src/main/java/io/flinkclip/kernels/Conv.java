package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.NR;
import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;

/**
 * Convolution, pooling and BatchNorm over NCHW buffers (forward). conv2d is im2col + the packed SGEMM:
 * per image, out[outC, oh·ow] = W[outC, c·kh·kw] · cols, where the columns are written straight into the
 * GEMM's packed-B layout (no separate im2col matrix, no second copy).
 */
public final class Conv {
    /** Output pixels per GEMM below which images of a batch are multiplied together. */
    private static final int GROUP_PIXELS = 256;

    private Conv() {}

    /** out[n,o,oh,ow] = Σ w[o,c,i,j] · x[n,c,oh·s+i−pad, ow·s+j−pad] (+ bias[o]); zero padding. */
    public static void conv2d(float[] x, int n, int c, int h, int w, float[] weight, float[] bias, int outC, int kh, int kw,
                              int stride, int pad, float[] out) {
        Checks.dims("n", n, "c", c, "outC", outC);
        Checks.dims("h", h, "w", w);
        if (kh <= 0 || kw <= 0 || stride <= 0 || pad < 0)
            throw new IllegalArgumentException("bad conv geometry: kernel " + kh + "x" + kw + ", stride " + stride + ", pad " + pad);
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1;
        if (h + 2 * pad < kh || w + 2 * pad < kw)
            throw new IllegalArgumentException("kernel " + kh + "x" + kw + " larger than padded input " + (h + 2 * pad) + "x" + (w + 2 * pad));
        int kdim = c * kh * kw, pix = oh * ow;
        Checks.range("x", x, 0, (long) n * c * h * w);
        Checks.range("weight", weight, 0, (long) outC * kdim);
        Checks.range("out", out, 0, (long) n * outC * pix);
        if (bias != null && bias.length < outC) throw new IllegalArgumentException("bias has " + bias.length + " values, need " + outC);
        if (n == 0 || outC == 0 || pix == 0) return;

        boolean pointwise = kh == 1 && kw == 1 && stride == 1 && pad == 0;
        // Small feature maps (ResNet's last stage, ViT patches) batch several images into one GEMM so the
        // N dimension fills whole NR-wide panels instead of mostly padded ones.
        int group = Math.min(n, Math.max(1, GROUP_PIXELS / pix));
        int gpix = group * pix;
        boolean big = Sgemm.isParallel(outC, gpix, kdim);
        // The weight is the GEMM's A operand: pack it once for the whole batch.
        float[] wp = Scratch.acquire(Scratch.PACK_A, Sgemm.packedASize(outC, kdim));
        float[] cols = null;
        try {
            Packing.packA(weight, 0, false, kdim, outC, kdim, wp, big);
            cols = Scratch.acquire(Scratch.IM2COL, PackedMatrix.size(gpix, kdim));
            for (int b0 = 0; b0 < n; b0 += group) {
                int images = Math.min(group, n - b0), xo = b0 * c * h * w;
                if (pointwise && images == 1) Packing.packBnn(x, xo, pix, c, cols, big);
                else if (stride == 1) packColumnsStride1(x, xo, images, c, h, w, kh, kw, pad, oh, ow, cols, big);
                else packColumns(x, xo, images, c, h, w, kh, kw, stride, pad, oh, ow, cols, big);
                if (images == 1) {
                    Sgemm.runPacked(wp, PackedMatrix.wrap(cols, kdim, pix), null, out, b0 * outC * pix, outC, pix, kdim, false, Epilogue.NONE);
                } else {
                    // Result is [outC, images·pix]; NCHW wants [images, outC, pix]: scatter whole pixel rows.
                    int np = images * pix;
                    float[] tmp = Scratch.acquire(Scratch.CONV_OUT, outC * np);
                    try {
                        Sgemm.runPacked(wp, PackedMatrix.wrap(cols, kdim, np), null, tmp, 0, outC, np, kdim, false, Epilogue.NONE);
                        for (int o = 0; o < outC; o++)
                            for (int i = 0; i < images; i++) System.arraycopy(tmp, o * np + i * pix, out, ((b0 + i) * outC + o) * pix, pix);
                    } finally {
                        Scratch.release(Scratch.CONV_OUT, tmp);
                    }
                }
            }
        } finally {
            Scratch.release(Scratch.IM2COL, cols);
            Scratch.release(Scratch.PACK_A, wp);
        }
        if (bias != null) addRowBias(out, 0, n * outC, pix, bias, outC);
    }

    /**
     * im2col into packed-B panels for {@code images} consecutive images: B[p, j] with p = (ci·kh + i)·kw + jj
     * and j = img·oh·ow + oy·ow + ox is x[img, ci, oy·s + i − pad, ox·s + jj − pad], or 0 in the padding. A panel's NR pixels fall into a few
     * runs along output rows; each run is a (strided) row copy with the padded ends zeroed.
     */
    private static void packColumns(float[] x, int xo, int images, int c, int h, int w, int kh, int kw, int stride, int pad,
                                    int oh, int ow, float[] dst, boolean parallel) {
        int pix = oh * ow, allPix = images * pix, kdim = c * kh * kw, panels = Packing.panels(allPix, NR);
        Parallel.forEach(panels, parallel ? 1 : panels, q -> {
            int j0 = q * NR, cols = Math.min(NR, allPix - j0), base = q * NR * kdim;
            int p = 0;
            for (int ci = 0; ci < c; ci++) {
                for (int i = 0; i < kh; i++) {
                    for (int jj = 0; jj < kw; jj++, p++) {
                        int d = base + p * NR;
                        for (int l = 0; l < cols; ) {
                            // Column j of the batched B is pixel (j mod pix) of image (j / pix).
                            int img = (j0 + l) / pix, jl = (j0 + l) % pix;
                            int oy = jl / ow, ox0 = jl % ow, run = Math.min(cols - l, ow - ox0);
                            int iy = oy * stride + i - pad;
                            if (iy < 0 || iy >= h) {
                                for (int t = d + l; t < d + l + run; t++) dst[t] = 0f;
                            } else {
                                int plane = xo + (img * c + ci) * h * w;
                                copyRun(x, plane + iy * w, w, ox0 * stride + jj - pad, stride, dst, d + l, run);
                            }
                            l += run;
                        }
                        for (int t = d + cols; t < d + NR; t++) dst[t] = 0f;
                    }
                }
            }
        });
    }

    /**
     * im2col for stride 1 (ResNet's 3×3 convs): the input is first copied into a zero-padded buffer, so
     * every column run is a plain copy of a padded input row, with no bounds logic; a panel whose NR
     * pixels lie in one output row becomes NV vector copies per kernel position.
     */
    private static void packColumnsStride1(float[] x, int xo, int images, int c, int h, int w, int kh, int kw, int pad,
                                           int oh, int ow, float[] dst, boolean parallel) {
        int plane = (h + 2 * pad) * (w + 2 * pad), imageSize = c * plane;
        float[] xp = Scratch.acquire(Scratch.CONV_PAD, images * imageSize + NR);
        try {
            packColumnsStride1(x, xo, images, c, h, w, kh, kw, pad, oh, ow, dst, parallel, xp);
        } finally {
            Scratch.release(Scratch.CONV_PAD, xp);
        }
    }

    private static void packColumnsStride1(float[] x, int xo, int images, int c, int h, int w, int kh, int kw, int pad,
                                           int oh, int ow, float[] dst, boolean parallel, float[] xp) {
        int hp = h + 2 * pad, wp = w + 2 * pad, plane = hp * wp, imageSize = c * plane;
        Parallel.forEach(images * c, parallel ? 4 : images * c, ic -> {
            int src = xo + ic * h * w, d = ic * plane;
            for (int t = d; t < d + plane; t++) xp[t] = 0f;
            for (int y = 0; y < h; y++) System.arraycopy(x, src + y * w, xp, d + (y + pad) * wp + pad, w);
        });
        int kdim = c * kh * kw, pix = oh * ow, allPix = images * pix, panels = Packing.panels(allPix, NR);
        int[] off = new int[kdim];
        for (int ci = 0, p = 0; ci < c; ci++) for (int i = 0; i < kh; i++) for (int jj = 0; jj < kw; jj++) off[p++] = ci * plane + i * wp + jj;
        Parallel.forEach(panels, parallel ? 1 : panels, q -> {
            int j0 = q * NR, cols = Math.min(NR, allPix - j0), base = q * NR * kdim;
            int img = j0 / pix, jl = j0 % pix, oy = jl / ow, ox0 = jl % ow;
            if (cols == NR && ox0 + NR <= ow) {
                vectorRun(xp, img * imageSize + oy * wp + ox0, off, dst, base, kdim);
                return;
            }
            for (int l = 0; l < cols; ) {
                img = (j0 + l) / pix;
                jl = (j0 + l) % pix;
                oy = jl / ow;
                ox0 = jl % ow;
                int run = Math.min(cols - l, ow - ox0), src = img * imageSize + oy * wp + ox0;
                for (int p = 0; p < kdim; p++) System.arraycopy(xp, src + off[p], dst, base + p * NR + l, run);
                l += run;
            }
            for (int p = 0; p < kdim; p++) for (int t = cols; t < NR; t++) dst[base + p * NR + t] = 0f;
        });
    }

    /** dst panel row p = xp[src + off[p] .. + NR) for every kernel position p. */
    private static void vectorRun(float[] xp, int src, int[] off, float[] dst, int base, int kdim) {
        for (int p = 0; p < kdim; p++) {
            int s = src + off[p], d = base + p * NR;
            for (int v = 0; v < NR; v += VL) FloatVector.fromArray(S, xp, s + v).intoArray(dst, d + v);
        }
    }

    /** dst[d..d+run) = row[ix0 + t·stride] for t < run, zero where the column index leaves [0, w). */
    private static void copyRun(float[] x, int row, int w, int ix0, int stride, float[] dst, int d, int run) {
        // First and one-past-last t whose column lies inside the row.
        int tLo = ix0 >= 0 ? 0 : Math.min(run, (-ix0 + stride - 1) / stride);
        int tHi = ix0 >= w ? tLo : Math.max(tLo, Math.min(run, (w - 1 - ix0) / stride + 1));
        // The padded ends are 0–2 elements: plain loops beat Arrays.fill's range checks here.
        for (int t = 0; t < tLo; t++) dst[d + t] = 0f;
        if (stride == 1) {
            System.arraycopy(x, row + ix0 + tLo, dst, d + tLo, tHi - tLo);
        } else {
            for (int t = tLo, ix = row + ix0 + tLo * stride; t < tHi; t++, ix += stride) dst[d + t] = x[ix];
        }
        for (int t = tHi; t < run; t++) dst[d + t] = 0f;
    }

    /** out[r, :] += bias[r mod channels] for {@code rows} rows of {@code cols} (rows = images × channels). */
    private static void addRowBias(float[] out, int off, int rows, int cols, float[] bias, int channels) {
        Parallel.forRanges(rows, Math.max(1, 16384 / cols), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int o = off + r * cols, vec = S.loopBound(cols), i = 0;
                float bv0 = bias[r % channels];
                FloatVector bv = FloatVector.broadcast(S, bv0);
                for (; i < vec; i += VL) FloatVector.fromArray(S, out, o + i).add(bv).intoArray(out, o + i);
                for (; i < cols; i++) out[o + i] += bv0;
            }
        });
    }

    /** AvgPool2d(k, stride k) without padding (the anti-aliasing pool of CLIP's ResNet). */
    public static void avgPool(float[] x, int n, int c, int h, int w, int k, float[] out) {
        Checks.dims("n", n, "c", c);
        Checks.dims("h", h, "w", w);
        if (k <= 0) throw new IllegalArgumentException("pool size must be positive, got " + k);
        int oh = h / k, ow = w / k;
        Checks.range("x", x, 0, (long) n * c * h * w);
        Checks.range("out", out, 0, (long) n * c * oh * ow);
        float inv = 1f / (k * k);
        Parallel.forRanges(n * c, Math.max(1, 16384 / Math.max(1, h * w)), (lo, hi) -> {
            for (int nc = lo; nc < hi; nc++) {
                for (int y = 0; y < oh; y++) {
                    int o = (nc * oh + y) * ow;
                    for (int xx = 0; xx < ow; xx++) out[o + xx] = 0f;
                    // Row-wise accumulation reads the input sequentially instead of k×k strided windows.
                    for (int i = 0; i < k; i++) {
                        int row = (nc * h + y * k + i) * w;
                        for (int xx = 0; xx < ow; xx++) {
                            float s = 0;
                            for (int j = 0; j < k; j++) s += x[row + xx * k + j];
                            out[o + xx] += s;
                        }
                    }
                    for (int xx = 0; xx < ow; xx++) out[o + xx] *= inv;
                }
            }
        });
    }

    /** Eval-mode BatchNorm in place, optionally followed by ReLU. */
    public static void batchNorm(float[] x, int n, int c, int hw, float[] mean, float[] var, float[] gamma, float[] beta,
                                 float eps, boolean relu) {
        Checks.dims("n", n, "c", c, "hw", hw);
        Checks.range("x", x, 0, (long) n * c * hw);
        Checks.range("mean", mean, 0, c);
        Checks.range("var", var, 0, c);
        Checks.range("gamma", gamma, 0, c);
        Checks.range("beta", beta, 0, c);
        Parallel.forRanges(n * c, Math.max(1, 16384 / Math.max(1, hw)), (lo, hi) -> {
            for (int nc = lo; nc < hi; nc++) {
                int ch = nc % c;
                float sc = (float) (gamma[ch] / Math.sqrt(var[ch] + eps));
                float sh = beta[ch] - mean[ch] * sc;
                FloatVector scv = FloatVector.broadcast(S, sc), shv = FloatVector.broadcast(S, sh);
                int i = nc * hw, end = i + hw, vecEnd = i + S.loopBound(hw);
                for (; i < vecEnd; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, x, i).fma(scv, shv);
                    (relu ? v.max(0f) : v).intoArray(x, i);
                }
                for (; i < end; i++) {
                    float v = x[i] * sc + sh;
                    x[i] = relu && v < 0 ? 0 : v;
                }
            }
        });
    }
}
