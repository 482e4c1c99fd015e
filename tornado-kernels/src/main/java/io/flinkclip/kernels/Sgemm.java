package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.MR;
import static io.flinkclip.kernels.MicroKernel.KC;
import static io.flinkclip.kernels.MicroKernel.NR;

import jdk.incubator.vector.FloatVector;

/**
 * Blocked SGEMM driver: A is packed per call (in row chunks) or, for a convolution, per block and K slice
 * ({@link SliceSource}); B arrives packed. C is cut into blocks that run as parallel tasks, and each block walks
 * K in KC slices so the B micro-panel (KC×NR) stays in L1 and the block's A rows stay in L2.
 */
final class Sgemm {
    private static final int MC = 16 * MR, NC = 4 * NR, SLICE_NC = 16 * NR;
    /**
     * Most rows per block; blocks are then evened out. Column-order walks take twice as many (fewer passes
     * over cold weights: ViT GEMMs +3–4 %); row-order walks keep MC (384 was slower on ResNet convolutions).
     */
    private static final int ROWS_MAX = 2 * MC;
    /** Row stride of the per-thread partial-sum block: the block's width plus a cache line (rows spread over L1 sets). */
    private static int partStride(int blockCols) { return blockCols + 16; }
    /** Rows of A packed per pass (a multiple of MC). */
    static final int M_CHUNK = 16 * MC;
    /** Below this many flops the fork/join hand-off costs more than it saves. */
    private static final long PARALLEL_FLOPS = 1L << 22;
    /** Values of B (2^17: half a 512×512 layer) from which a product over packed weights is split for its bytes alone. */
    private static final long STREAMED_B_VALUES = 1L << 17;

    private Sgemm() {}

    /** C[m,n] (+)= A·B (+ bias[j]) then act, B packed. */
    static void run(float[] a, int aOff, boolean aTransposed, PackedMatrix b, float[] bias, float[] c, int cOff,
                    int m, int n, int k, boolean accumulate, Epilogue act) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            emptyProduct(bias, c, cOff, m, n, accumulate, act);
            return;
        }
        // One to three rows (an image's pooled query, a last block's token): B streamed once, no tiles.
        if (m <= ThinGemm.MAX_ROWS) {
            ThinGemm.run(a, aOff, aTransposed, b, bias, c, cOff, m, n, k, accumulate, act);
            return;
        }
        // Tall A is packed and multiplied in row chunks so the scratch stays bounded (≤ M_CHUNK·k floats).
        int chunks = (m + M_CHUNK - 1) / M_CHUNK, chunk = ((m + chunks - 1) / chunks + MR - 1) / MR * MR;
        for (int i0 = 0; i0 < m; i0 += chunk) {
            int rows = Math.min(chunk, m - i0);
            float[] ap = Scratch.acquire(Scratch.PACK_A, packedASize(rows, k));
            try {
                if (aTransposed) Packing.packA(a, aOff + i0, true, m, rows, k, ap, isParallel(rows, n, k));
                else Packing.packA(a, aOff + i0 * k, false, k, rows, k, ap, isParallel(rows, n, k));
                runPacked(ap, b, bias, c, cOff + i0 * n, rows, n, k, accumulate, act);
            } finally {
                Scratch.release(Scratch.PACK_A, ap);
            }
        }
    }

    /** Floats needed for A[m,k] packed into MR-row panels. */
    static int packedASize(int m, int k) {
        long size = (long) Packing.panels(m, MR) * MR * k;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("GEMM too large: m=" + m + " k=" + k);
        return (int) size;
    }

    static boolean isParallel(int m, int n, int k) {
        return 2L * m * n * k >= PARALLEL_FLOPS && Parallel.THREADS > 1;
    }

    /**
     * {@link #isParallel} for a product over packed weights B, which is also split when B is large whatever the rows:
     * with a handful of rows (one short text: 7 token rows) the cost is streaming B from memory, not the flops, and two
     * threads stream it faster. A single 7-token text through ViT-B/32's text tower, whose 512×512 out_proj fell below
     * the flops threshold: 0.889 [0.844..0.969] and 0.951 [0.916..1.003] of the time (in-JVM alternation, 40 and 30
     * rounds); at 12 or 14 rows, where every product was split already, 0.979 and 0.992 (no change).
     */
    static boolean isParallelOverWeights(int m, int n, int k) {
        return isParallel(m, n, k) || (long) n * k >= STREAMED_B_VALUES && Parallel.THREADS > 1;
    }


    /** As {@link #run} with A already packed (k > 0). */
    static void runPacked(float[] ap, PackedMatrix b, float[] bias, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate, Epilogue act) {
        runBlocks(new PackedLhs(ap, m, k), b, bias, c, cOff, m, n, k, accumulate, act);
    }

    /**
     * Where the micro-kernel's A operand comes from: {@link PackedLhs} (A packed whole, MR-row panels) or a
     * {@link SliceSource}, whose K slices each block packs into per-thread panels just before using them.
     */
    abstract static class Lhs {
        /** Reduction indices per K slice; slices start at multiples of it. */
        int kStep() { return KC; }
    }

    /**
     * An A that is not stored as a matrix (a convolution's input read through offsets): blocks pack the rows and
     * K slice they need, once for all their column panels, and run the packed micro-kernel on that.
     */
    abstract static class SliceSource extends Lhs {
        /**
         * Packs rows [i0, i1) (i1 rounded up to MR; the extra rows may hold anything) and reduction indices
         * [pc, pc + kc) into MR-row panels: dst[q·MR·kc + (p − pc)·MR + r] = A[i0 + q·MR + r, p]. May write up to
         * {@link MicroKernel#VL} floats past the last panel.
         */
        abstract void packSlice(int i0, int i1, int pc, int kc, float[] dst);
    }

    /**
     * A packed by {@link Packing#packA} (MR-row panels per K slice), or one block's K slice packed by a
     * {@link SliceSource} (then a single slice of m rows and k = kc).
     */
    private static final class PackedLhs extends Lhs {
        private final float[] ap;
        private final int m, k;

        PackedLhs(float[] ap, int m, int k) { this.ap = ap; this.m = m; this.k = k; }

        /** Where the panel holding row i starts for the K slice at pc. */
        private int offset(int i, int pc) { return Packing.aOffset(i / MR, pc, m, k); }

        /** The MR×NR tile at row i (a multiple of MR) over reduction indices [pc, pc + kc); see {@link MicroKernel#tile}. */
        void tile(int i, int pc, int kc, float[] bp, int bpo, float[] src, int sOff, int lds, float[] dst, int dOff,
                  int ldd, float[] bias, int biasOff, float floor) {
            MicroKernel.tile(ap, offset(i, pc), bp, bpo, kc, src, sOff, lds, dst, dOff, ldd, bias, biasOff, floor);
        }

        /** {@link #tile} that also reads bp[next + p·nextStep] per step p (see {@link MicroKernel#tileStreaming}). */
        float tileStreaming(int i, int pc, int kc, float[] bp, int bpo, float[] src, int sOff, int lds, float[] dst,
                            int dOff, int ldd, float[] bias, int biasOff, int next, int nextStep, float floor) {
            return MicroKernel.tileStreaming(ap, offset(i, pc), bp, bpo, kc, src, sOff, lds, dst, dOff, ldd,
                    bias, biasOff, next, nextStep, floor);
        }

        /** {@link #tile} plus the first two rows of the next panel as a raw product into tail (see {@link MicroKernel#tile14}). */
        void tile14(int i, int pc, int kc, float[] bp, int bpo, float[] src, int sOff, int lds, float[] dst, int dOff,
                    int ldd, float[] bias, int biasOff, float floor, float[] tail) {
            MicroKernel.tile14(ap, offset(i, pc), offset(i + MR, pc), bp, bpo, kc, src, sOff, lds, dst, dOff, ldd, bias,
                    biasOff, floor, tail);
        }

        /**
         * Rows r0 .. r0 + {@link MicroKernel#EDGE_MR} − 1 of the tile at row i, plain A·B over the slice, into dst
         * (row stride ldd): short last row tiles skip most of the rows that do not exist.
         */
        void tilePart(int i, int r0, int pc, int kc, float[] bp, int bpo, float[] dst, int dOff, int ldd) {
            MicroKernel.tile4(ap, offset(i, pc) + r0, bp, bpo, kc, dst, dOff, ldd);
        }

        /** As {@link #tilePart} for rows r0 .. r0 + 7 ({@link MicroKernel#tile8}). */
        void tilePart8(int i, int r0, int pc, int kc, float[] bp, int bpo, float[] dst, int dOff, int ldd) {
            MicroKernel.tile8(ap, offset(i, pc) + r0, bp, bpo, kc, dst, dOff, ldd);
        }
    }

    /** C[m,n] (+)= A·B (+ bias[j]) then act, A supplied tile by tile by {@code lhs}, B packed (k > 0). */
    static void runBlocks(Lhs lhs, PackedMatrix b, float[] bias, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate, Epilogue act) {
        if (m == 0 || n == 0) return;
        boolean parallel = isParallelOverWeights(m, n, k);
        // Walk order. B is packed weights, usually cold (read from DRAM once per call), A is the activation
        // just written. Column order (all row blocks of one column block, then the next) reads each B block
        // into L2 once and re-streams A; row order re-streams B once per row block. Column order wins when B
        // is not much smaller than A (ViT/text linears: +6–14 % measured with 16 rotating weight sets), row
        // order when A is far larger (ResNet convolutions over 32 images: 16384×256×256 240 vs 200 GFLOP/s).
        // Except for long reductions over a tall A with 16-bit weights (ViT-B/32's mlp.c_proj at batch 32, 1600×768×3072):
        // there A is 19.6 MB and column order re-streams it per column block, and row order measured 4 % less time
        // on that layer in the model (`bin/clip bench --layers`, 6 alternating pairs: 295–308 vs 304–320 ms over 12
        // blocks). Convolutions keep column order (RN50 layer 4 at batch 32: row order 3 % slower).
        boolean longReduction = k >= LONG_K && m > ROWS_MAX && b.half != null && !(lhs instanceof SliceSource);
        boolean byColumns = 4L * n >= m && !longReduction;
        // Row order re-reads B once per row block, and 16-bit B would be widened that often (RN50's 1×1
        // convolutions at batch 32: M/192 times, 3.7 % of the run in the column scaling alone): widen it once.
        if (b.half != null && !byColumns && PackedMatrix.size(n, b.k) <= WIDEN_ONCE_FLOATS) {
            float[] wide = Scratch.acquire(Scratch.B_WIDE, PackedMatrix.size(n, b.k));
            try {
                b.widenAll(wide);
                runBlocks(lhs, PackedMatrix.wrap(wide, b.k, n), bias, c, cOff, m, n, k, accumulate, act);
            } finally {
                Scratch.release(Scratch.B_WIDE, wide);
            }
            return;
        }
        // Equal row blocks (a 196-row conv would otherwise be a 192-row block plus a 4-row one that streams
        // all of B again for 4 rows of work).
        int rowsMax = byColumns ? ROWS_MAX : MC;
        int rowBlocks = tiles(m, rowsMax), mc = (tiles(m, rowBlocks) + MR - 1) / MR * MR;
        // A packed slice is shared by the block's column panels: wider blocks copy it fewer times (RN50 batch 32
        // +4–6 % at 512 columns against 128).
        int nc = lhs instanceof SliceSource ? SLICE_NC : NC;
        // Four blocks per thread, so uneven progress balances. But each block of a SliceSource gathers its rows'
        // A slices itself, and with few row blocks (batch 1) splitting columns repeats that gathering: there stop
        // as soon as every thread has as many blocks (cold 1×1 convolutions at 1 image: 196×1024→256 0.43–0.46 →
        // 0.35–0.37 ms with one 128-column block per thread; layer 4's 3×3 at 7×7 1.20–1.28 → 1.02–1.04 ms).
        int want = parallel ? 4 * Parallel.THREADS : 1;
        boolean gathers = lhs instanceof SliceSource;
        while (tiles(m, mc) * tiles(n, nc) < want && !(gathers && Parallel.evenlyShared(tiles(m, mc) * tiles(n, nc)))
                && (nc > NR || mc > MR)) {
            if (nc > NR) nc = Math.max(NR, nc / 2 / NR * NR);
            else mc = Math.max(MR, mc / 2 / MR * MR);
        }
        int tm = tiles(m, mc), tn = tiles(n, nc), fmc = mc, fnc = nc;
        Parallel.forEach(tm * tn, parallel ? 1 : tm * tn, t -> {
            int i0 = (byColumns ? t % tm : t / tn) * fmc, j0 = (byColumns ? t / tm : t % tn) * fnc;
            int i1 = Math.min(m, i0 + fmc);
            block(lhs, b, c, cOff, m, n, k, i0, i1, j0, Math.min(n, j0 + fnc), bias, accumulate, act,
                    byColumns && i1 - i0 <= TOUCH_ROWS);
        });
    }

    /**
     * C[i0..i1, j0..j1] (row stride n, from cOff) = A·B over all k (+ bias[j]) (+ old C when accumulate),
     * then act. i0, j0 are multiples of MR and NR. K is walked in KC slices; per slice the B micro-panel
     * stays in L1 while the block's A panels stream from L2. Partial sums between slices live in a dense
     * per-thread block buffer, not in C: CLIP's row strides (768..3072 floats) are multiples of 1-4 KiB, so
     * a tile's rows in C collide in the same L1 sets. Edge tiles run through a dense scratch tile.
     */
    private static void block(Lhs lhs, PackedMatrix b, float[] c, int cOff, int m, int n, int k, int i0, int i1, int j0,
                              int j1, float[] bias, boolean accumulate, Epilogue act, boolean touchB) {
        int ldp = partStride(j1 - j0);
        float[] part = k > lhs.kStep() ? Scratch.acquire(Scratch.C_BLOCK, (i1 - i0 + MR) * ldp) : null;
        float[] slice = lhs instanceof SliceSource
                ? Scratch.acquire(Scratch.A_SLICE, tiles(i1 - i0, MR) * MR * Math.min(k, lhs.kStep()) + MicroKernel.VL) : null;
        float[] panel = b.half != null ? Scratch.acquire(Scratch.B_PANEL, Math.min(k, lhs.kStep()) * NR) : null;
        // Scratch tile for partial row or column tiles (a per-block allocation was a tenth of RN50's garbage).
        float[] edge = (i1 - i0) % MR != 0 || (j1 - j0) % NR != 0 ? Scratch.acquire(Scratch.EDGE, MR * NR) : null;
        try {
            block(lhs, b, c, cOff, m, n, k, i0, i1, j0, j1, bias, accumulate, act, touchB && panel == null, part, ldp,
                    slice, panel, edge);
        } finally {
            Scratch.release(Scratch.C_BLOCK, part);
            Scratch.release(Scratch.A_SLICE, slice);
            Scratch.release(Scratch.B_PANEL, panel);
            Scratch.release(Scratch.EDGE, edge);
        }
    }

    /**
     * {@code edge}: an MR×NR scratch tile for partial tiles (null when the block has none).
     * {@code panel}: for 16-bit B, the per-thread buffer each micro-panel is widened into before its tiles. The
     * widening loop reads the panel sequentially and is its only prefetch: reading ahead in the next panel inside
     * the tiles, as the fp32 path does, measured no better (ViT-B/32 batch 1, 3 alternating pairs: 14.1/13.0/13.5
     * with it, 14.4/14.0/15.2 images/s without).
     */
    private static void block(Lhs lhs, PackedMatrix b, float[] c, int cOff, int m, int n, int k, int i0, int i1, int j0,
                              int j1, float[] bias, boolean accumulate, Epilogue act, boolean touchB, float[] part,
                              int ldp, float[] slice, float[] panel, float[] edge) {
        float[] bp = panel != null ? panel : b.data;
        float[] zeros = MicroKernel.ZEROS;
        float touched = 0f;
        boolean streamed = false;
        int step = lhs.kStep();
        boolean sliced = k > step;
        for (int pc = 0; pc < k; pc += step) {
            int kc = Math.min(step, k - pc);
            boolean first = pc == 0, last = pc + kc == k;
            float[] tb = first ? bias : null;
            boolean addC = !first || accumulate;
            Epilogue ta = last ? act : Epilogue.NONE;
            // ReLU is the full tiles' own clamp; other activations run over the stored tile.
            float floor = ta == Epilogue.RELU ? 0f : Float.NEGATIVE_INFINITY;
            Epilogue after = ta == Epilogue.RELU ? Epilogue.NONE : ta;
            // The tiles read A from `src`: the operand itself, or this slice of it packed once for all column
            // panels of the block (then rows count from i0 and the slice starts at reduction index 0).
            PackedLhs src;
            int ib = 0, pcs = pc;
            if (lhs instanceof SliceSource source) {
                source.packSlice(i0, i1, pc, kc, slice);
                src = new PackedLhs(slice, i1 - i0, kc);
                ib = i0;
                pcs = 0;
            } else {
                src = (PackedLhs) lhs;
            }
            for (int j = j0; j < j1; j += NR) {
                // bpo indexes B's packed values, bo the array the tiles read (B itself, or the widened panel).
                int bpo = (j / NR) * NR * k + pc * NR, bo = bpo, nr = Math.min(NR, n - j);
                if (panel != null) {
                    b.widen(bpo, kc * NR, panel);
                    bo = 0;
                }
                // Streaming (few rows, cold weights): each micro-panel is read by the full tiles of the panel
                // before it, a share of nextStep·kc floats per tile; the block's first panel, and any after a
                // panel without full tiles, is read up front.
                int next = 0, nextLen = 0, nextStep = 0;
                if (touchB) {
                    if (!streamed) touch(bp, bpo, kc * NR);
                    if (j + NR < j1) {
                        next = ((j + NR) / NR) * NR * k + pc * NR;
                        nextLen = kc * NR;
                    } else if (!last) {
                        next = (j0 / NR) * NR * k + (pc + kc) * NR;
                        nextLen = Math.min(step, k - pc - kc) * NR;
                    }
                    int fullTiles = (i1 - i0) / MR;
                    if (fullTiles > 0) nextStep = Math.min(nextLen / kc, (nextLen + fullTiles * kc - 1) / (fullTiles * kc));
                    streamed = nextStep > 0;
                }
                float[] biasArr = tb != null ? tb : zeros;
                int biasOff = tb != null ? j : 0;
                for (int i = i0; i < i1; i += MR) {
                    int mr = Math.min(MR, m - i), co = cOff + i * n + j;
                    // One or two rows after this full tile (50 or 49 rows at batch 1): computed in its loop.
                    int tail = TAIL_IN_TILE && nextStep == 0 && mr == MR && nr == NR ? i1 - (i + MR) : 0;
                    if (tail > 2) tail = 0;
                    if (mr == MR && nr == NR) {
                        // Partial sums: C itself (unsliced), else the dense block buffer until the last slice.
                        float[] add = zeros;
                        int so = 0, lds = 0;
                        if (addC) {
                            boolean fromC = !sliced || first;
                            add = fromC ? c : part;
                            so = fromC ? co : (i - i0) * ldp + (j - j0);
                            lds = fromC ? n : ldp;
                        }
                        boolean toC = !sliced || last;
                        float[] out = toC ? c : part;
                        int oo = toC ? co : (i - i0) * ldp + (j - j0), ldo = toC ? n : ldp;
                        if (tail > 0) src.tile14(i - ib, pcs, kc, bp, bo, add, so, lds, out, oo, ldo, biasArr, biasOff, floor, edge);
                        else if (nextStep == 0) src.tile(i - ib, pcs, kc, bp, bo, add, so, lds, out, oo, ldo, biasArr, biasOff, floor);
                        else {
                            // Tile t reads share t of the next panel (the last share ends at the panel's end).
                            int share = nextStep * kc, from = next + Math.min((i - i0) / MR * share, nextLen - share);
                            touched += src.tileStreaming(i - ib, pcs, kc, bp, bo, add, so, lds, out, oo, ldo, biasArr, biasOff, from, nextStep, floor);
                        }
                        after.applyRows(c, co, n, MR, NR);
                        if (tail > 0) {
                            // The tail rows as the edge path below finishes them (partial sums in C).
                            finishEdge(edge, c, co + MR * n, n, tail, nr, tb, j, addC, ta);
                            i += MR;
                        }
                    } else {
                        if (mr == MR) src.tile(i - ib, pcs, kc, bp, bo, zeros, 0, 0, edge, 0, NR, zeros, 0, Float.NEGATIVE_INFINITY);
                        else {
                            // Rests of five or more rows: eight in one pass, then four if any are left.
                            int r0 = 0;
                            if (mr > MicroKernel.EDGE_MR) {
                                src.tilePart8(i - ib, 0, pcs, kc, bp, bo, edge, 0, NR);
                                r0 = 2 * MicroKernel.EDGE_MR;
                            }
                            for (; r0 < mr; r0 += MicroKernel.EDGE_MR) src.tilePart(i - ib, r0, pcs, kc, bp, bo, edge, r0 * NR, NR);
                        }
                        finishEdge(edge, c, co, n, mr, nr, tb, j, addC, ta);
                    }
                }
            }
        }
        keepAlive(touched);
    }

    private static int tiles(int n, int size) { return (n + size - 1) / size; }

    /** Whether a block's last one or two rows run inside its last full tile ({@code -Dclip.gemm.tailInTile=false}: never). */
    private static final boolean TAIL_IN_TILE = Boolean.parseBoolean(System.getProperty("clip.gemm.tailInTile", "true"));

    /** Reduction length from which a tall product with 16-bit weights walks rows (see {@link #runBlocks}). */
    private static final int LONG_K = 2048;

    /** Largest 16-bit B (floats when widened) that row-order walks widen whole, once per call: 4 MB. */
    private static final long WIDEN_ONCE_FLOATS = 1 << 20;

    /**
     * On column-order walks, blocks with at most this many rows stream their B micro-panels ahead of use. Few rows
     * (a batch of one image: M = 50) give the first tile of each micro-panel no time to hide its reads of cold
     * weights: its FMA loop asks for 2 cache lines per 12 cycles, and the load misses then come in a few at a
     * time. Reading each panel with {@link #touch} before its tiles measured 50×3072×768 146 → 163 GFLOP/s,
     * 196×256×1024 135 → 149 (cold weights, 16 sets); reading the next panel inside the current one's tiles
     * ({@link MicroKernel#tileStreaming}) also keeps the memory busy while they compute. At 1600 rows neither
     * helped, so tall blocks skip it.
     */
    private static final int TOUCH_ROWS = 24 * MR;
    /** Written only if a touch sum hits an impossible value: keeps C2 from dropping the loads as dead. */
    @SuppressWarnings("unused")
    private static volatile float touchSink;

    /** Consumes a sum of touching loads (see {@link #touchSink}). */
    private static void keepAlive(float sum) {
        if (sum == 12345.678f) touchSink = sum;
    }

    /**
     * Reads b[off, off + len) with independent vector loads and no other work, so dozens of cache-line misses
     * are in flight at once (Java has no prefetch instruction); the tiles that follow then hit L1/L2.
     */
    private static void touch(float[] b, int off, int len) {
        FloatVector acc = FloatVector.zero(MicroKernel.S);
        for (int i = 0; i + MicroKernel.VL <= len; i += MicroKernel.VL) acc = FloatVector.fromArray(MicroKernel.S, b, off + i).add(acc);
        keepAlive(acc.lane(0));
    }

    /**
     * Moves the valid mr×nr corner of a scratch tile into C, applying what the full-tile path fuses. The
     * activation runs on the scratch tile's rows as vectors ({@link Epilogue#applyRows}, lane for lane the scalar
     * function): per element, QuickGELU's exp on the 2 edge rows of ViT-B/32's 50 was 1.3 % of a batch-1 pass.
     */
    private static void finishEdge(float[] edge, float[] c, int co, int ldc, int mr, int nr, float[] bias, int biasOff,
                                   boolean addC, Epilogue act) {
        for (int r = 0; r < mr; r++) {
            for (int jj = 0; jj < nr; jj++) {
                float v = edge[r * NR + jj];
                if (bias != null) v += bias[biasOff + jj];
                if (addC) v += c[co + r * ldc + jj];
                edge[r * NR + jj] = v;
            }
        }
        act.applyRows(edge, 0, NR, mr, NR);
        for (int r = 0; r < mr; r++) System.arraycopy(edge, r * NR, c, co + r * ldc, nr);
    }

    /** K = 0: the product is empty, only bias and activation remain. */
    private static void emptyProduct(float[] bias, float[] c, int cOff, int m, int n, boolean accumulate, Epilogue act) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int o = cOff + i * n + j;
                float v = (accumulate ? c[o] : 0f) + (bias == null ? 0f : bias[j]);
                c[o] = act.apply(v);
            }
        }
    }
}
