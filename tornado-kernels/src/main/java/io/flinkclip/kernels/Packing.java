package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.MR;
import static io.flinkclip.kernels.MicroKernel.NR;
import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;

/**
 * Copies GEMM operands into the micro-kernel's layouts. B: panels of NR columns, panel q at q·NR·K holding
 * B[p, q·NR + j] at p·NR + j. A: per K slice, panels of MR rows holding A[q·MR + r, p] at (p − pc)·MR + r
 * ({@link #aOffset}).
 * Missing rows/columns of the last panel are zero, so the micro-kernel never branches on edges while
 * accumulating.
 */
final class Packing {
    /** Rows of B handled per pass of the transposing copy, so the panel slice being written stays in L1. */
    private static final int P_BLOCK = 64;
    /** Floats a parallel chunk should copy at least, to be worth a task. */
    private static final int COPY_GRAIN = 1 << 15;

    private Packing() {}

    static int panels(int n, int width) { return (n + width - 1) / width; }

    private static int grain(int perPanel) { return Math.max(1, COPY_GRAIN / Math.max(1, perPanel)); }

    /** B[p, j] = b[bOff + j·k + p] (B stored as its transpose, the nn.Linear weight layout). */
    static void packBnt(float[] b, int bOff, int n, int k, float[] dst, boolean parallel) {
        int np = panels(n, NR);
        int[] rowStarts = new int[VL];
        for (int l = 0; l < VL; l++) rowStarts[l] = l * k;
        // Full and ragged panels live in separate methods so neither vector loop carries a branch that
        // C2 could compile as a trap (see MicroKernel.tile).
        Parallel.forEach(np, parallel ? grain(NR * k) : np, q -> {
            int cols = Math.min(NR, n - q * NR);
            if (cols == NR) fullPanelNt(b, bOff + q * NR * k, k, rowStarts, dst, q * NR * k);
            else edgePanelNt(b, bOff + q * NR * k, k, cols, dst, q * NR * k);
        });
    }

    /** One gather per VL columns reads the same k-offset of VL weight rows: a vectorised transpose. */
    private static void fullPanelNt(float[] b, int src, int k, int[] rowStarts, float[] dst, int base) {
        for (int v = 0; v < NR; v += VL) {
            int s = src + v * k;
            for (int p = 0; p < k; p++) FloatVector.fromArray(S, b, s + p, rowStarts, 0).intoArray(dst, base + p * NR + v);
        }
    }

    private static void edgePanelNt(float[] b, int src, int k, int cols, float[] dst, int base) {
        for (int p0 = 0; p0 < k; p0 += P_BLOCK) {
            int p1 = Math.min(k, p0 + P_BLOCK);
            for (int jj = 0; jj < cols; jj++) {
                int s = src + jj * k;
                for (int p = p0; p < p1; p++) dst[base + p * NR + jj] = b[s + p];
            }
            for (int jj = cols; jj < NR; jj++) for (int p = p0; p < p1; p++) dst[base + p * NR + jj] = 0;
        }
    }

    /**
     * {@link #packBnt} for 16-bit values (F16/BF16 bit patterns, moved as they are) into a zeroed dst: B[p, j] =
     * h[hOff + j·k + p]. Each panel is a transpose of NR rows in P_BLOCK-long strips, so the NR source rows stream
     * and the strip's destination stays in L1.
     */
    static void packBnt16(short[] h, int hOff, int n, int k, short[] dst, boolean parallel) {
        int np = panels(n, NR);
        Parallel.forEach(np, parallel ? grain(NR * k) : np, q -> {
            int cols = Math.min(NR, n - q * NR), src = hOff + q * NR * k, base = q * NR * k;
            for (int p0 = 0; p0 < k; p0 += P_BLOCK) {
                int p1 = Math.min(k, p0 + P_BLOCK);
                for (int jj = 0; jj < cols; jj++) {
                    int s = src + jj * k;
                    for (int p = p0; p < p1; p++) dst[base + p * NR + jj] = h[s + p];
                }
            }
        });
    }

    /** {@link #packBnn} for 16-bit values into a zeroed dst: B[p, j] = h[hOff + p·n + j]. */
    static void packBnn16(short[] h, int hOff, int n, int k, short[] dst) {
        for (int q = 0; q < panels(n, NR); q++) {
            int cols = Math.min(NR, n - q * NR);
            for (int p = 0; p < k; p++) System.arraycopy(h, hOff + p * n + q * NR, dst, q * NR * k + p * NR, cols);
        }
    }

    /** B[p, j] = b[bOff + p·n + j] (B row-major). */
    static void packBnn(float[] b, int bOff, int n, int k, float[] dst, boolean parallel) {
        int np = panels(n, NR);
        Parallel.forEach(np, parallel ? grain(NR * k) : np, q -> {
            int cols = Math.min(NR, n - q * NR);
            if (cols == NR) fullPanelNn(b, bOff + q * NR, n, k, dst, q * NR * k);
            else edgePanelNn(b, bOff + q * NR, n, k, cols, dst, q * NR * k);
        });
    }

    /** One full NR-column panel of row-major B (row stride n, k rows from src) at dst[base ..]. */
    static void fullPanelNn(float[] b, int src, int n, int k, float[] dst, int base) {
        for (int p = 0; p < k; p++) {
            int s = src + p * n, d = base + p * NR;
            for (int v = 0; v < NR; v += VL) FloatVector.fromArray(S, b, s + v).intoArray(dst, d + v);
        }
    }

    /** As {@link #fullPanelNn} for the last cols &lt; NR columns, the rest of each panel row zero. */
    static void edgePanelNn(float[] b, int src, int n, int k, int cols, float[] dst, int base) {
        for (int p = 0; p < k; p++) {
            int s = src + p * n, d = base + p * NR;
            for (int jj = 0; jj < cols; jj++) dst[d + jj] = b[s + jj];
            for (int jj = cols; jj < NR; jj++) dst[d + jj] = 0;
        }
    }

    private static final jdk.incubator.vector.VectorMask<Float> FIRST_MR = S.indexInRange(0, MR);

    /**
     * One full MR-row panel of row-major A over k reduction indices from src: per index p one gather reads A[r, p]
     * of the MR rows (a vectorised transpose; the scalar copy it replaces did one store per element, 2× the time).
     * Each store writes VL lanes, of which those past MR fall on p + 1's slots and are overwritten by the next
     * store; the last is masked so nothing lands past the panel.
     */
    private static void fullPanelA(float[] a, int src, int k, int[] starts, float[] dst, int base) {
        int p = 0;
        for (; p < k - 1; p++) FloatVector.fromArray(S, a, src + p, starts, 0).intoArray(dst, base + p * MR);
        FloatVector.fromArray(S, a, src + p, starts, 0).intoArray(dst, base + p * MR, FIRST_MR);
    }

    /**
     * Offset of packed A's panel {@code q}, reduction index {@code pc} (a slice start, a multiple of
     * {@link MicroKernel#KC}), in a packing of {@code m} rows by k: A is stored slice by slice, and within a
     * slice panel by panel, so the rows a GEMM block multiplies over one K slice are one contiguous run.
     */
    static int aOffset(int q, int pc, int m, int k) {
        return pc * panels(m, MR) * MR + q * MR * Math.min(MicroKernel.KC, k - pc);
    }

    /**
     * A[i, p] = a[aOff + i·k + p] (row-major) or, with {@code transposed}, a[aOff + p·lda + i] (A stored
     * as [k, lda], of which the m columns from aOff are packed), into MR-row panels per K slice: A[q·MR + r, p]
     * at {@link #aOffset}(q, pc) + (p − pc)·MR + r for the slice [pc, pc + KC) holding p.
     *
     * <p>Why by slice: a GEMM block reads its rows' panels for one K slice once per column panel, and the first
     * time from L3 or DRAM. With whole-K panels those reads were 12 KB runs 36–150 KB apart; contiguous they
     * stream (one thread, tiles over 324 rows × 4 column panels, A beyond L2: 153 against 124 GFLOP/s, medians
     * of 6 alternating runs).
     */
    static void packA(float[] a, int aOff, boolean transposed, int lda, int m, int k, float[] dst, boolean parallel) {
        int np = panels(m, MR);
        // Row offsets of a full panel for fullPanelA's gathers; lanes past MR repeat the last row (valid addresses).
        int[] rowStarts = new int[VL];
        for (int l = 0; l < VL; l++) rowStarts[l] = Math.min(l, MR - 1) * k;
        Parallel.forEach(np, parallel ? grain(MR * k) : np, q -> {
            int i0 = q * MR, rows = Math.min(MR, m - i0);
            for (int pc = 0; pc < k; pc += MicroKernel.KC) {
                int kc = Math.min(MicroKernel.KC, k - pc), base = aOffset(q, pc, m, k);
                if (transposed) {
                    for (int p = 0; p < kc; p++) {
                        int src = aOff + (pc + p) * lda + i0, d = base + p * MR;
                        for (int r = 0; r < rows; r++) dst[d + r] = a[src + r];
                        for (int r = rows; r < MR; r++) dst[d + r] = 0;
                    }
                } else if (rows == MR && VL >= MR) {
                    fullPanelA(a, aOff + i0 * k + pc, kc, rowStarts, dst, base);
                } else {
                    for (int r = 0; r < rows; r++) {
                        int src = aOff + (i0 + r) * k + pc;
                        for (int p = 0; p < kc; p++) dst[base + p * MR + r] = a[src + p];
                    }
                    for (int r = rows; r < MR; r++) for (int p = 0; p < kc; p++) dst[base + p * MR + r] = 0;
                }
            }
        });
    }
}
