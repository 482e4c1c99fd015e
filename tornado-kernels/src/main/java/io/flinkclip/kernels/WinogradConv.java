package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.KC;
import static io.flinkclip.kernels.MicroKernel.MR;
import static io.flinkclip.kernels.MicroKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3×3 convolution with stride 1 and padding 1 over channels-last maps by Winograd's minimal filtering
 * F(m×m, 3×3), m = 2 or 4 (Lavin and Gray, 2016): each m×m block of outputs is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the
 * (m+2)² input patch d around it, so per output pixel and channel pair the multiplications drop from 9 to 4
 * (m = 2) or 2.25 (m = 4). Over all tiles the (m+2)² element-wise products become as many GEMMs, [tiles × in] ·
 * [in × out], one per point ξ of the transform domain; they run on the packed {@link MicroKernel#tile}.
 *
 * <p>Every 3×3 convolution of OpenAI's modified ResNet but the stem's first is of this kind (strides are
 * average pools there), and they hold about two thirds of RN50's multiply-adds. F(2×2) has transform entries
 * 0, ±1, ±½ and stays at the rounding level of the direct sum (max |Δ| 3–4e-6 on outputs of ≈ 7 at RN50's
 * shapes); F(4×4)'s entries up to 8 give 3–8e-5 per layer, which still left RN50's embeddings within 3e-7 of
 * the direct build (random BatchNorm statistics, 224 px). F(4×4) filters take 36 floats per channel pair
 * (4× the direct 9), so callers pick it where those are small.
 *
 * <p>Tiles are processed in blocks that one thread carries through all three steps while the block's
 * transformed input and products stay in its caches: input transform (vectorised over 16 channels, then
 * transposed in registers into the micro-kernel's 12-row panels), the GEMMs, and the output transform with
 * bias, the optional residual and the activation. Nothing of the size of the feature map is written twice.
 */
public final class WinogradConv {
    private static final VectorSpecies<Float> S = MicroKernel.S;
    private static final int VL = MicroKernel.VL;
    /**
     * Floats of transformed input plus products per tile block: 1 Mi (4 MiB) is more than L2, but the wide layers
     * re-read all their filters once per block, and growing this from 256 Ki took 14×14×512 from 1.25× to 1.9–2.0×
     * the direct kernel and 7×7×512 from 1.04× to 1.4×; the narrow layers stayed within the noise.
     */
    private static final int BLOCK_FLOATS = Integer.getInteger("clip.winograd.blockFloats", 1 << 20);
    /** The 12 rows of one point in the staging buffer, for {@link Transpose#rows12}. */
    private static final int[] STAGE_ROWS = new int[MR + VL];
    static {
        for (int r = 0; r < MR; r++) STAGE_ROWS[r] = r * VL;
    }

    private WinogradConv() {}

    /** Filters transformed once (G g Gᵀ), one packed GEMM operand [in → out] per point. */
    public static final class Weights {
        final int in, out;
        /** Output tile side m of F(m×m, 3×3): 2 or 4. */
        final int tile;
        final PackedMatrix[] points;

        private Weights(int in, int out, int tile, PackedMatrix[] points) {
            this.in = in;
            this.out = out;
            this.tile = tile;
            this.points = points;
        }

        public int in() { return in; }

        public int out() { return out; }

        /** Bytes of the transformed filters. */
        public long bytes() {
            long b = 0;
            for (PackedMatrix p : points) b += p.bytes();
            return b;
        }
    }

    /** True when {@link #conv3x3} handles this geometry on this machine (16-float vectors, channels in 16s). */
    public static boolean supports(int k, int stride, int pad, int in, int out) {
        return k == 3 && stride == 1 && pad == 1 && VL == 16 && in % VL == 0 && out % VL == 0;
    }

    /** {@link #transform(float[], int, int, int)} for F(2×2, 3×3). */
    public static Weights transform(float[] w, int out, int in) { return transform(w, out, in, 2); }

    /**
     * Transforms 3×3 filters given as [out][ky][kx][in] (the reduction order of {@link ConvNhwc}'s packed
     * weights) for F(tile×tile, 3×3), tile 2 or 4, in double: U_ξ[o, c] = (G g_{o,c} Gᵀ)_ξ.
     */
    public static Weights transform(float[] w, int out, int in, int tile) {
        Checks.dims("out", out, "in", in);
        Checks.range("w", w, 0, 9L * out * in);
        if (!supports(3, 1, 1, in, out)) throw new IllegalArgumentException("Winograd conv needs channels in multiples of " + VL + ": in " + in + ", out " + out);
        if (tile != 2 && tile != 4) throw new IllegalArgumentException("Winograd tile must be 2 or 4, got " + tile);
        double[][] g = tile == 2 ? G2 : G4;
        int alpha = tile + 2, points = alpha * alpha;
        float[][] u = new float[points][out * in];
        double[][] gg = new double[alpha][3];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                for (int a = 0; a < alpha; a++) {
                    for (int j = 0; j < 3; j++) {
                        double s = 0;
                        for (int i = 0; i < 3; i++) s += g[a][i] * w[o * 9 * in + (i * 3 + j) * in + c];
                        gg[a][j] = s;
                    }
                }
                for (int a = 0; a < alpha; a++) {
                    for (int b = 0; b < alpha; b++) u[a * alpha + b][o * in + c] = (float) (gg[a][0] * g[b][0] + gg[a][1] * g[b][1] + gg[a][2] * g[b][2]);
                }
            }
        }
        PackedMatrix[] packed = new PackedMatrix[points];
        for (int p = 0; p < points; p++) packed[p] = PackedMatrix.fromRowsNK(u[p], 0, out, in);
        return new Weights(in, out, tile, packed);
    }

    /** G of F(2×2, 3×3) and of F(4×4, 3×3) (interpolation points 0, ±1, ±2 and ∞). */
    private static final double[][] G2 = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
    private static final double[][] G4 = {{1 / 4., 0, 0}, {-1 / 6., -1 / 6., -1 / 6.}, {-1 / 6., 1 / 6., -1 / 6.},
            {1 / 24., 1 / 12., 1 / 6.}, {1 / 24., -1 / 12., 1 / 6.}, {0, 0, 1}};

    /**
     * x [n, h, w, in] → y [n, h, w, out] = conv3×3(x) (+ bias[o]) (+ old y when {@code accumulate}), then act (NONE or RELU).
     */
    public static void conv3x3(float[] x, int n, int h, int w, Weights wt, float[] bias, float[] y, boolean accumulate,
                               Epilogue act) {
        run(x, n, h, w, wt, bias, y, accumulate, act, false);
    }

    /**
     * x [n, h, w, in] → y [n, h/2, w/2, out] = AvgPool2d(2)(act(conv3×3(x) + bias)), h and w even: the pooling of
     * OpenAI's strided Bottlenecks (and of the stem) done in the output transform, whose tiles are whole pooling
     * windows, so the full-resolution map is never written. Sums each window in the order of a separate pooling
     * pass (the same floats).
     */
    public static void conv3x3Pool2(float[] x, int n, int h, int w, Weights wt, float[] bias, float[] y, Epilogue act) {
        if (h % 2 != 0 || w % 2 != 0) throw new IllegalArgumentException("2×2 pooling needs an even map, got " + h + "×" + w);
        run(x, n, h, w, wt, bias, y, false, act, true);
    }

    private static void run(float[] x, int n, int h, int w, Weights wt, float[] bias, float[] y, boolean accumulate,
                            Epilogue act, boolean pool) {
        Checks.dims("n", n, "h", h);
        Checks.dims("w", w, "in", wt.in);
        if (act != Epilogue.NONE && act != Epilogue.RELU) throw new IllegalArgumentException("Winograd convolutions fuse NONE or RELU, not " + act);
        int c = wt.in, out = wt.out, m = wt.tile, th = (h + m - 1) / m, tw = (w + m - 1) / m, points = wt.points.length;
        Checks.range("x", x, 0, (long) n * h * w * c);
        Checks.range("y", y, 0, (long) n * h * w * out / (pool ? 4 : 1));
        if (bias != null && bias.length < out) throw new IllegalArgumentException("bias has " + bias.length + " values, need " + out);
        // A block's scratch (points × up to 16·MR tiles × channels) is indexed by int; the tile count is at most the
        // pixel count of x, which an array already bounds.
        if ((long) points * 16 * MR * Math.max(c, ldm(out)) > Integer.MAX_VALUE - 64)
            throw new IllegalArgumentException("too many channels for a Winograd block: in " + c + ", out " + out);
        int tiles = n * th * tw;
        if (tiles == 0) return;
        float[] b = bias != null ? bias : new float[out];
        // Output groups: a multiple of NR channels, split while there are too few tile blocks for the threads
        // (a batch of one 14×14 map is 49 tiles, one block). Each group repeats the input transform, so splitting
        // stops once every thread has as many tasks: 256 channels at 14×14, one image, cold filters: 0.84–0.87 ms
        // with 4 groups (the former two tasks per thread), 0.58–0.67 with 2.
        int groups = 1;
        int tbMax = blockTiles(points, c, out);
        int tileBlocks = Packing.panels(tiles, tbMax);
        while (tileBlocks * groups < 2 * Parallel.THREADS && !Parallel.evenlyShared(tileBlocks * groups)
                && out % (2 * groups * NR) == 0 && out / (2 * groups) >= 2 * NR) groups *= 2;
        int og = out / groups;
        int tb = Packing.panels(Packing.panels(tiles, tileBlocks), MR) * MR;
        int blocks = Packing.panels(tiles, tb), oGroups = groups;
        Parallel.forEach(blocks * oGroups, 1, task -> {
            int t0 = (task / oGroups) * tb, o0 = (task % oGroups) * og;
            block(x, h, w, th, tw, t0, Math.min(tiles, t0 + tb), o0, o0 + og, wt, b, y, accumulate, act == Epilogue.RELU, pool);
        });
    }

    /** Tiles per block: a multiple of MR whose transformed input and products fit {@link #BLOCK_FLOATS}. */
    private static int blockTiles(int points, int c, int out) {
        int perTile = points * (c + ldm(out));
        return Math.max(MR, Math.min(16 * MR, BLOCK_FLOATS / perTile / MR * MR));
    }

    /** Row stride of the products: whole NR panels plus half a cache line, so rows spread over L1 sets. */
    private static int ldm(int cols) { return Packing.panels(cols, NR) * NR + VL / 2; }

    private static void block(float[] x, int h, int w, int th, int tw, int t0, int t1, int o0, int o1, Weights wt,
                              float[] bias, float[] y, boolean accumulate, boolean relu, boolean pool) {
        int c = wt.in, rows = Packing.panels(t1 - t0, MR) * MR, ldm = ldm(o1 - o0), points = wt.points.length;
        // The transpose's last store runs past a panel: every point's region gets VL spare floats.
        int vRegion = rows * c + VL, mRegion = rows * ldm;
        float[] v = Scratch.acquire(Scratch.WINO_V, points * vRegion);
        float[] m = Scratch.acquire(Scratch.WINO_M, points * mRegion);
        float[] stage = Scratch.acquire(Scratch.WINO_STAGE, points * MR * VL + VL);
        try {
            transformInput(x, h, w, th, tw, t0, t1, c, rows, wt.tile, v, vRegion, stage);
            multiply(wt, o0, o1, rows, t1 - t0, v, vRegion, m, mRegion, ldm, stage);
            if (wt.tile == 2) transformOutput(m, mRegion, ldm, h, w, th, tw, t0, t1, o0, o1, wt.out, bias, y, accumulate, relu, pool);
            else transformOutput4(m, mRegion, ldm, h, w, th, tw, t0, t1, o0, o1, wt.out, bias, y, accumulate, relu, pool, stage);
        } finally {
            Scratch.release(Scratch.WINO_V, v);
            Scratch.release(Scratch.WINO_M, m);
            Scratch.release(Scratch.WINO_STAGE, stage);
        }
    }

    /**
     * v[ξ·vRegion + q·MR·c + ch·MR + r] = (Bᵀ d B)_ξ for channel ch of tile t0 + q·MR + r (zero past t1), with
     * Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]]: each point's [tiles × in] matrix in the micro-kernel's
     * MR-row panels.
     */
    private static void transformInput(float[] x, int h, int w, int th, int tw, int t0, int t1, int c, int rows,
                                       int tile, float[] v, int vRegion, float[] stage) {
        int perImage = th * tw, points = (tile + 2) * (tile + 2);
        int[] base = new int[MR], y0 = new int[MR], x0 = new int[MR];
        for (int q = 0; q < rows / MR; q++) {
            for (int r = 0; r < MR; r++) {
                int t = t0 + q * MR + r;
                if (t >= t1) {
                    base[r] = -1;
                    continue;
                }
                int img = t / perImage, rem = t - img * perImage, ty = rem / tw;
                base[r] = img * h * w * c;
                y0[r] = tile * ty - 1;
                x0[r] = tile * (rem - ty * tw) - 1;
            }
            for (int c0 = 0; c0 < c; c0 += VL) {
                for (int r = 0; r < MR; r++) {
                    if (base[r] < 0) zeroTile(stage, points, r * VL);
                    else if (tile == 2) transformTile(x, base[r] + c0, y0[r], x0[r], h, w, c, stage, r * VL);
                    else transformTile4(x, base[r] + c0, y0[r], x0[r], h, w, c, stage, r * VL);
                }
                int d = q * MR * c + c0 * MR;
                for (int p = 0; p < points; p++) Transpose.rows12(stage, STAGE_ROWS, 0, p * MR * VL, v, p * vRegion + d);
            }
        }
    }

    private static void zeroTile(float[] stage, int points, int so) {
        FloatVector z = FloatVector.zero(S);
        for (int p = 0; p < points; p++) z.intoArray(stage, p * MR * VL + so);
    }

    /** One input element vector, or zeros outside the map (the padding). */
    private static FloatVector at(float[] x, int off, boolean inside) {
        return inside ? FloatVector.fromArray(S, x, off) : FloatVector.zero(S);
    }

    /** The 4×4 patch at (y0, x0) of VL channels from x[off] → stage[p·MR·VL + so], p = 0..15. */
    private static void transformTile(float[] x, int off, int y0, int x0, int h, int w, int c, float[] st, int so) {
        boolean r0 = y0 >= 0, r3 = y0 + 3 < h, r1 = y0 + 1 < h, r2 = y0 + 2 < h;
        boolean k0 = x0 >= 0, k3 = x0 + 3 < w, k1 = x0 + 1 < w, k2 = x0 + 2 < w;
        int row = w * c, p0 = off + (y0 * w + x0) * c;
        FloatVector d00 = at(x, p0, r0 && k0), d01 = at(x, p0 + c, r0 && k1), d02 = at(x, p0 + 2 * c, r0 && k2), d03 = at(x, p0 + 3 * c, r0 && k3);
        int p1 = p0 + row;
        FloatVector d10 = at(x, p1, r1 && k0), d11 = at(x, p1 + c, r1 && k1), d12 = at(x, p1 + 2 * c, r1 && k2), d13 = at(x, p1 + 3 * c, r1 && k3);
        int p2 = p1 + row;
        FloatVector d20 = at(x, p2, r2 && k0), d21 = at(x, p2 + c, r2 && k1), d22 = at(x, p2 + 2 * c, r2 && k2), d23 = at(x, p2 + 3 * c, r2 && k3);
        int p3 = p2 + row;
        FloatVector d30 = at(x, p3, r3 && k0), d31 = at(x, p3 + c, r3 && k1), d32 = at(x, p3 + 2 * c, r3 && k2), d33 = at(x, p3 + 3 * c, r3 && k3);
        // Bᵀ d: rows
        FloatVector a00 = d00.sub(d20), a01 = d01.sub(d21), a02 = d02.sub(d22), a03 = d03.sub(d23);
        FloatVector a10 = d10.add(d20), a11 = d11.add(d21), a12 = d12.add(d22), a13 = d13.add(d23);
        FloatVector a20 = d20.sub(d10), a21 = d21.sub(d11), a22 = d22.sub(d12), a23 = d23.sub(d13);
        FloatVector a30 = d10.sub(d30), a31 = d11.sub(d31), a32 = d12.sub(d32), a33 = d13.sub(d33);
        // (Bᵀ d) B: columns
        int s = MR * VL;
        a00.sub(a02).intoArray(st, so); a01.add(a02).intoArray(st, so + s); a02.sub(a01).intoArray(st, so + 2 * s); a01.sub(a03).intoArray(st, so + 3 * s);
        a10.sub(a12).intoArray(st, so + 4 * s); a11.add(a12).intoArray(st, so + 5 * s); a12.sub(a11).intoArray(st, so + 6 * s); a11.sub(a13).intoArray(st, so + 7 * s);
        a20.sub(a22).intoArray(st, so + 8 * s); a21.add(a22).intoArray(st, so + 9 * s); a22.sub(a21).intoArray(st, so + 10 * s); a21.sub(a23).intoArray(st, so + 11 * s);
        a30.sub(a32).intoArray(st, so + 12 * s); a31.add(a32).intoArray(st, so + 13 * s); a32.sub(a31).intoArray(st, so + 14 * s); a31.sub(a33).intoArray(st, so + 15 * s);
    }

    /**
     * F(4×4, 3×3): the 6×6 patch at (y0, x0) of VL channels from x[off] → stage[p·MR·VL + so], p = 0..35, as
     * Bᵀ d B with Bᵀ = [[4,0,−5,0,1,0], [0,−4,−4,1,1,0], [0,4,−4,−1,1,0], [0,−2,−1,2,1,0], [0,2,−1,−2,1,0],
     * [0,4,0,−5,0,1]]: the columns first, each into the slots of its six points, then the rows in place.
     */
    private static void transformTile4(float[] x, int off, int y0, int x0, int h, int w, int c, float[] st, int so) {
        int s = MR * VL, row = w * c;
        // Pass 1, per patch column j: t[·][j] = Bᵀ d[·][j], stored at the slot of point (i, j).
        for (int j = 0; j < 6; j++) {
            boolean cj = x0 + j >= 0 && x0 + j < w;
            int p = off + (y0 * w + x0 + j) * c;
            FloatVector d0 = at(x, p, cj && y0 >= 0), d1 = at(x, p + row, cj && y0 + 1 < h), d2 = at(x, p + 2 * row, cj && y0 + 2 < h);
            FloatVector d3 = at(x, p + 3 * row, cj && y0 + 3 < h), d4 = at(x, p + 4 * row, cj && y0 + 4 < h), d5 = at(x, p + 5 * row, cj && y0 + 5 < h);
            bt6(d0, d1, d2, d3, d4, d5, st, so + j * s, 6 * s);
        }
        // Pass 2, per row i of t: v[i][·] = t[i][·] B, in place.
        for (int i = 0; i < 6; i++) {
            int b = so + 6 * i * s;
            bt6(FloatVector.fromArray(S, st, b), FloatVector.fromArray(S, st, b + s), FloatVector.fromArray(S, st, b + 2 * s),
                    FloatVector.fromArray(S, st, b + 3 * s), FloatVector.fromArray(S, st, b + 4 * s), FloatVector.fromArray(S, st, b + 5 * s),
                    st, b, s);
        }
    }

    /** dst[d + k·step] = (Bᵀ e)_k for F(4×4, 3×3), k = 0..5. */
    private static void bt6(FloatVector e0, FloatVector e1, FloatVector e2, FloatVector e3, FloatVector e4, FloatVector e5,
                            float[] dst, int d, int step) {
        FloatVector a = e2.mul(-4f).add(e4), b = e1.mul(-4f).add(e3);   // e4 − 4e2, e3 − 4e1
        FloatVector cc = e4.sub(e2), e = e3.sub(e1).mul(2f);            // e4 − e2, 2(e3 − e1)
        e0.mul(4f).add(e2.mul(-5f)).add(e4).intoArray(dst, d);
        a.add(b).intoArray(dst, d + step);
        a.sub(b).intoArray(dst, d + 2 * step);
        cc.add(e).intoArray(dst, d + 3 * step);
        cc.sub(e).intoArray(dst, d + 4 * step);
        e1.mul(4f).add(e3.mul(-5f)).add(e5).intoArray(dst, d + 5 * step);
    }

    /**
     * F(4×4, 3×3) output transform: y at the 4×4 outputs of each tile = Aᵀ M A (+ bias) (+ old y), then ReLU if
     * asked, with Aᵀ = [[1,1,1,1,1,0], [0,1,−1,2,−2,0], [0,1,1,4,4,0], [0,1,−1,8,−8,1]]; outputs past the map are
     * dropped. {@code tmp} holds the 4×6 intermediate (VL lanes each).
     *
     * <p>Why the code below spells out stores and ReLU instead of calling small helpers: C2 stops inlining
     * ordinary methods once a compilation passes a node limit (Vector API methods are force-inlined and exempt),
     * and a helper left as a call boxes every vector passed to it on the heap. With helpers here (and in the
     * F(2×2) version) RN50 at batch 1 allocated ≈ 35 MB of FloatVector objects per image and ran the boxed
     * fallback of {@code max} (JFR allocation samples); hence one call per tile into methods that take no
     * vectors, and no vector-taking helpers inside them except {@link #at6}, which is inlined first.
     */
    private static void transformOutput4(float[] m, int mRegion, int ldm, int h, int w, int th, int tw, int t0, int t1,
                                         int o0, int o1, int out, float[] bias, float[] y, boolean accumulate,
                                         boolean relu, boolean pool, float[] tmp) {
        int perImage = th * tw;
        for (int t = t0; t < t1; t++) {
            int img = t / perImage, rem = t - img * perImage, ty = rem / tw, tx = rem - ty * tw;
            int oy = 4 * ty, ox = 4 * tx, rowsOut = Math.min(4, h - oy), colsOut = Math.min(4, w - ox);
            int r = (t - t0) * ldm - o0;
            if (pool) outputTile4Pooled(m, mRegion, r, o0, o1, bias, y, ((img * (h / 2) + oy / 2) * (w / 2) + ox / 2) * out,
                    (w / 2) * out, out, rowsOut, colsOut, relu, tmp);
            else outputTile4(m, mRegion, r, o0, o1, bias, y, ((img * h + oy) * w + ox) * out, w * out, out, rowsOut, colsOut,
                    accumulate, relu, tmp);
        }
    }

    /** Columns of one F(4×4) tile's M at channel offset mo: s[u][j] = Σ_i Aᵀ[u][i] M[i][j] → tmp[(u·6 + j)·VL]. */
    private static void columns4(float[] m, int mo, int mRegion, float[] tmp) {
        for (int j = 0; j < 6; j++) {
            at6(FloatVector.fromArray(S, m, mo + j * mRegion), FloatVector.fromArray(S, m, mo + (6 + j) * mRegion),
                    FloatVector.fromArray(S, m, mo + (12 + j) * mRegion), FloatVector.fromArray(S, m, mo + (18 + j) * mRegion),
                    FloatVector.fromArray(S, m, mo + (24 + j) * mRegion), FloatVector.fromArray(S, m, mo + (30 + j) * mRegion),
                    tmp, j * VL, 6 * VL);
        }
    }

    /** One tile's outputs, rows u: y[u][k] = Σ_j s[u][j] A[j][k], written straight to the output pixels that exist. */
    private static void outputTile4(float[] m, int mRegion, int r, int o0, int o1, float[] bias, float[] y, int y0,
                                    int rowStride, int out, int rowsOut, int colsOut, boolean accumulate, boolean relu,
                                    float[] tmp) {
        for (int o = o0; o < o1; o += VL) {
            columns4(m, r + o, mRegion, tmp);
            FloatVector bv = FloatVector.fromArray(S, bias, o);
            for (int u = 0; u < rowsOut; u++) {
                int b = u * 6 * VL;
                FloatVector s0 = FloatVector.fromArray(S, tmp, b), s1 = FloatVector.fromArray(S, tmp, b + VL);
                FloatVector s2 = FloatVector.fromArray(S, tmp, b + 2 * VL), s3 = FloatVector.fromArray(S, tmp, b + 3 * VL);
                FloatVector s4 = FloatVector.fromArray(S, tmp, b + 4 * VL), s5 = FloatVector.fromArray(S, tmp, b + 5 * VL);
                FloatVector p = s1.add(s2), q = s1.sub(s2), rr = s3.add(s4), tt = s3.sub(s4);
                // Outputs k = 0..3 of the row into tmp's spare slots, then one loop stores those that exist.
                int d = 24 * VL;
                s0.add(p).add(rr).add(bv).intoArray(tmp, d);
                q.add(tt.mul(2f)).add(bv).intoArray(tmp, d + VL);
                p.add(rr.mul(4f)).add(bv).intoArray(tmp, d + 2 * VL);
                q.add(tt.mul(8f)).add(s5).add(bv).intoArray(tmp, d + 3 * VL);
                int yo = y0 + u * rowStride + o;
                for (int k = 0; k < colsOut; k++) {
                    FloatVector v = FloatVector.fromArray(S, tmp, d + k * VL);
                    if (accumulate) v = v.add(FloatVector.fromArray(S, y, yo + k * out));
                    if (relu) v = v.max(0f);
                    v.intoArray(y, yo + k * out);
                }
            }
        }
    }

    /**
     * One tile's outputs with the 2×2 average pool that follows: rows in pairs, each row's 4 outputs (the same Aᵀ
     * as the columns, at6) go to tmp past the 4×6 intermediate, and each 2×2 window becomes one pooled output
     * (even maps).
     */
    private static void outputTile4Pooled(float[] m, int mRegion, int r, int o0, int o1, float[] bias, float[] y, int y0,
                                          int rowStride, int out, int rowsOut, int colsOut, boolean relu, float[] tmp) {
        int ra = 24 * VL, rb = 28 * VL;
        for (int o = o0; o < o1; o += VL) {
            columns4(m, r + o, mRegion, tmp);
            FloatVector bv = FloatVector.fromArray(S, bias, o);
            for (int u = 0; u < rowsOut; u += 2) {
                for (int row = 0; row < 2; row++) {
                    int b = (u + row) * 6 * VL;
                    at6(FloatVector.fromArray(S, tmp, b), FloatVector.fromArray(S, tmp, b + VL), FloatVector.fromArray(S, tmp, b + 2 * VL),
                            FloatVector.fromArray(S, tmp, b + 3 * VL), FloatVector.fromArray(S, tmp, b + 4 * VL),
                            FloatVector.fromArray(S, tmp, b + 5 * VL), tmp, row == 0 ? ra : rb, VL);
                }
                int pyo = y0 + u / 2 * rowStride + o;
                for (int k = 0; k < colsOut; k += 2) {
                    FloatVector a0 = FloatVector.fromArray(S, tmp, ra + k * VL).add(bv), a1 = FloatVector.fromArray(S, tmp, ra + (k + 1) * VL).add(bv);
                    FloatVector b0 = FloatVector.fromArray(S, tmp, rb + k * VL).add(bv), b1 = FloatVector.fromArray(S, tmp, rb + (k + 1) * VL).add(bv);
                    if (relu) {
                        a0 = a0.max(0f);
                        a1 = a1.max(0f);
                        b0 = b0.max(0f);
                        b1 = b1.max(0f);
                    }
                    a0.add(a1).add(b0).add(b1).mul(0.25f).intoArray(y, pyo + k / 2 * out);
                }
            }
        }
    }

    /** dst[d + u·step] = (Aᵀ e)_u for F(4×4, 3×3), u = 0..3. */
    private static void at6(FloatVector e0, FloatVector e1, FloatVector e2, FloatVector e3, FloatVector e4, FloatVector e5,
                            float[] dst, int d, int step) {
        FloatVector p = e1.add(e2), q = e1.sub(e2), r = e3.add(e4), t = e3.sub(e4);
        e0.add(p).add(r).intoArray(dst, d);
        q.add(t.mul(2f)).intoArray(dst, d + step);
        p.add(r.mul(4f)).intoArray(dst, d + 2 * step);
        q.add(t.mul(8f)).add(e5).intoArray(dst, d + 3 * step);
    }

    /**
     * m[ξ·mRegion + r·ldm + (o − o0)] = Σ_ch v_ξ[r, ch]·U_ξ[ch, o] for the block's rows and outputs [o0, o1): per
     * point, per NR-column weight panel, per KC slice, all row panels (the weight micro-panel stays in L1).
     *
     * <p>Only the first {@code valid} of the {@code rows} rows are tiles; the padding past them is never read. A
     * batch of one image often leaves one: RN50's 14×14 maps under F(2×2) and its 28×28 maps under F(4×4) are 49
     * tiles, which whole 12-row tiles made 60 rows of products. So a rest of one or two rows rides in the last full
     * tile ({@link MicroKernel#tile14}), three to eight run as 4-row tiles ({@link MicroKernel#tile4}, a third of a
     * full tile's FMAs each), and only longer rests take a whole padded tile. Every row's sum is formed the same way
     * in each kernel (its products in k order from zero, then + 0, then + the previous slices' partial sum), so a
     * tile's products do not depend on where in a block it falls, nor on the batch. {@code scratch}: 4·NR floats.
     */
    private static void multiply(Weights wt, int o0, int o1, int rows, int valid, float[] v, int vRegion, float[] m,
                                 int mRegion, int ldm, float[] scratch) {
        int c = wt.in, full = valid / MR, rest = valid - full * MR;
        boolean restInTile = rest > 0 && rest <= 2 && full > 0;
        boolean restAsTile4 = rest > 0 && rest <= 2 * MicroKernel.EDGE_MR && !restInTile;
        int tiles = restInTile ? full - 1 : restAsTile4 ? full : rows / MR;
        float[] zeros = MicroKernel.ZEROS;
        for (int p = 0; p < wt.points.length; p++) {
            float[] bp = wt.points[p].data;
            int ao = p * vRegion, mo = p * mRegion;
            for (int j = o0; j < o1; j += NR) {
                for (int pc = 0; pc < c; pc += KC) {
                    int kc = Math.min(KC, c - pc), bpo = (j / NR) * NR * c + pc * NR;
                    boolean first = pc == 0;
                    for (int q = 0; q < tiles; q++) {
                        int d = mo + q * MR * ldm + (j - o0);
                        MicroKernel.tile(v, ao + q * MR * c + pc * MR, bp, bpo, kc, first ? zeros : m, first ? 0 : d,
                                first ? 0 : ldm, m, d, ldm, zeros, 0, Float.NEGATIVE_INFINITY);
                    }
                    if (restInTile) {
                        int q = full - 1, d = mo + q * MR * ldm + (j - o0);
                        MicroKernel.tile14(v, ao + q * MR * c + pc * MR, ao + (q + 1) * MR * c + pc * MR, bp, bpo, kc,
                                first ? zeros : m, first ? 0 : d, first ? 0 : ldm, m, d, ldm, zeros, 0,
                                Float.NEGATIVE_INFINITY, scratch);
                        addRows(scratch, 2, m, d + MR * ldm, ldm, first);
                    } else if (restAsTile4) {
                        for (int r0 = 0; r0 < rest; r0 += MicroKernel.EDGE_MR) {
                            int d = mo + (full * MR + r0) * ldm + (j - o0);
                            MicroKernel.tile4(v, ao + full * MR * c + pc * MR + r0, bp, bpo, kc, scratch, 0, NR);
                            addRows(scratch, MicroKernel.EDGE_MR, m, d, ldm, first);
                        }
                    }
                }
            }
        }
    }

    /**
     * m[d + r·ldm, + NR) = (raw[r·NR, + NR) + 0) + (first ? 0 : the old m row), r < rows: the sum {@link MicroKernel#tile}
     * forms with a zero bias and the partial sums as its source, in the same order, so the same bits.
     */
    private static void addRows(float[] raw, int rows, float[] m, int d, int ldm, boolean first) {
        FloatVector z = FloatVector.zero(S);
        for (int r = 0; r < rows; r++) {
            for (int u = 0; u < NR; u += VL) {
                FloatVector s = FloatVector.fromArray(S, raw, r * NR + u).add(z);
                s.add(first ? z : FloatVector.fromArray(S, m, d + r * ldm + u)).intoArray(m, d + r * ldm + u);
            }
        }
    }

    /**
     * y at the 2×2 outputs of each tile = Aᵀ M A (+ bias) (+ old y), then act, with Aᵀ = [[1,1,1,0], [0,1,−1,−1]];
     * outputs past an odd map's last row or column are dropped. One call per tile, for the reason given at
     * {@link #transformOutput4}.
     */
    private static void transformOutput(float[] m, int mRegion, int ldm, int h, int w, int th, int tw, int t0, int t1,
                                        int o0, int o1, int out, float[] bias, float[] y, boolean accumulate, boolean relu,
                                        boolean pool) {
        int perImage = th * tw;
        for (int t = t0; t < t1; t++) {
            int img = t / perImage, rem = t - img * perImage, ty = rem / tw, tx = rem - ty * tw;
            int oy = 2 * ty, ox = 2 * tx, r = (t - t0) * ldm - o0;
            if (pool) outputTile2(m, mRegion, r, o0, o1, bias, y, ((img * (h / 2) + ty) * (w / 2) + tx) * out, 0, 0, true,
                    false, false, false, relu);
            else outputTile2(m, mRegion, r, o0, o1, bias, y, ((img * h + oy) * w + ox) * out, out, w * out, false,
                    oy + 1 < h, ox + 1 < w, accumulate, relu);
        }
    }

    /**
     * One F(2×2) tile: outputs at y[y00 + o] (+ dx for the right column, + dy for the lower row, those that exist),
     * or with {@code pool} their 2×2 average at y[y00 + o].
     */
    private static void outputTile2(float[] m, int mRegion, int r, int o0, int o1, float[] bias, float[] y, int y00,
                                    int dx, int dy, boolean pool, boolean down, boolean right, boolean accumulate,
                                    boolean relu) {
        for (int o = o0; o < o1; o += VL) {
            int mo = r + o;
            FloatVector m0 = FloatVector.fromArray(S, m, mo), m1 = FloatVector.fromArray(S, m, mo + mRegion);
            FloatVector m2 = FloatVector.fromArray(S, m, mo + 2 * mRegion), m3 = FloatVector.fromArray(S, m, mo + 3 * mRegion);
            FloatVector m4 = FloatVector.fromArray(S, m, mo + 4 * mRegion), m5 = FloatVector.fromArray(S, m, mo + 5 * mRegion);
            FloatVector m6 = FloatVector.fromArray(S, m, mo + 6 * mRegion), m7 = FloatVector.fromArray(S, m, mo + 7 * mRegion);
            FloatVector m8 = FloatVector.fromArray(S, m, mo + 8 * mRegion), m9 = FloatVector.fromArray(S, m, mo + 9 * mRegion);
            FloatVector m10 = FloatVector.fromArray(S, m, mo + 10 * mRegion), m11 = FloatVector.fromArray(S, m, mo + 11 * mRegion);
            FloatVector m12 = FloatVector.fromArray(S, m, mo + 12 * mRegion), m13 = FloatVector.fromArray(S, m, mo + 13 * mRegion);
            FloatVector m14 = FloatVector.fromArray(S, m, mo + 14 * mRegion), m15 = FloatVector.fromArray(S, m, mo + 15 * mRegion);
            // Aᵀ M: rows (row u of M is points 4u .. 4u + 3)
            FloatVector s00 = m0.add(m4).add(m8), s01 = m1.add(m5).add(m9), s02 = m2.add(m6).add(m10), s03 = m3.add(m7).add(m11);
            FloatVector s10 = m4.sub(m8).sub(m12), s11 = m5.sub(m9).sub(m13), s12 = m6.sub(m10).sub(m14), s13 = m7.sub(m11).sub(m15);
            FloatVector bv = FloatVector.fromArray(S, bias, o);
            FloatVector v00 = s00.add(s01).add(s02).add(bv), v01 = s01.sub(s02).sub(s03).add(bv);
            FloatVector v10 = s10.add(s11).add(s12).add(bv), v11 = s11.sub(s12).sub(s13).add(bv);
            if (pool) {
                if (relu) {
                    v00 = v00.max(0f);
                    v01 = v01.max(0f);
                    v10 = v10.max(0f);
                    v11 = v11.max(0f);
                }
                v00.add(v01).add(v10).add(v11).mul(0.25f).intoArray(y, y00 + o);
                continue;
            }
            if (accumulate) {
                v00 = v00.add(FloatVector.fromArray(S, y, y00 + o));
                if (right) v01 = v01.add(FloatVector.fromArray(S, y, y00 + dx + o));
                if (down) v10 = v10.add(FloatVector.fromArray(S, y, y00 + dy + o));
                if (down && right) v11 = v11.add(FloatVector.fromArray(S, y, y00 + dy + dx + o));
            }
            if (relu) {
                v00 = v00.max(0f);
                v01 = v01.max(0f);
                v10 = v10.max(0f);
                v11 = v11.max(0f);
            }
            v00.intoArray(y, y00 + o);
            if (right) v01.intoArray(y, y00 + dx + o);
            if (down) v10.intoArray(y, y00 + dy + o);
            if (down && right) v11.intoArray(y, y00 + dy + dx + o);
        }
    }
}
