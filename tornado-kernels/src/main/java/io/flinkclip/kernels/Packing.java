package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.MR;
import static io.flinkclip.kernels.MicroKernel.NR;
import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Copies GEMM operands into the micro-kernel's layouts. B: panels of NR columns, panel q at q·NR·K holding
 * B[p, q·NR + j] at p·NR + j. A: panels of MR rows, panel q at q·MR·K holding A[q·MR + r, p] at p·MR + r.
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
        Parallel.forEach(np, parallel ? grain(NR * k) : np, q -> {
            int base = q * NR * k, j0 = q * NR, cols = Math.min(NR, n - j0);
            if (cols == NR) {
                // One gather per VL columns reads the same k-offset of VL weight rows: a vectorised transpose.
                for (int v = 0; v < NR; v += VL) {
                    int src = bOff + (j0 + v) * k;
                    for (int p = 0; p < k; p++) FloatVector.fromArray(S, b, src + p, rowStarts, 0).intoArray(dst, base + p * NR + v);
                }
                return;
            }
            for (int p0 = 0; p0 < k; p0 += P_BLOCK) {
                int p1 = Math.min(k, p0 + P_BLOCK);
                for (int jj = 0; jj < cols; jj++) {
                    int src = bOff + (j0 + jj) * k;
                    for (int p = p0; p < p1; p++) dst[base + p * NR + jj] = b[src + p];
                }
                for (int jj = cols; jj < NR; jj++) for (int p = p0; p < p1; p++) dst[base + p * NR + jj] = 0;
            }
        });
    }

    /** B[p, j] = b[bOff + p·n + j] (B row-major). */
    static void packBnn(float[] b, int bOff, int n, int k, float[] dst, boolean parallel) {
        int np = panels(n, NR);
        Parallel.forEach(np, parallel ? grain(NR * k) : np, q -> {
            int base = q * NR * k, j0 = q * NR, cols = Math.min(NR, n - j0);
            if (cols == NR) {
                for (int p = 0; p < k; p++) {
                    int s = bOff + p * n + j0, d = base + p * NR;
                    for (int v = 0; v < NR; v += VL) FloatVector.fromArray(S, b, s + v).intoArray(dst, d + v);
                }
            } else {
                for (int p = 0; p < k; p++) {
                    int s = bOff + p * n + j0, d = base + p * NR;
                    for (int v = 0; v < NR; v += VL) {
                        VectorMask<Float> m = S.indexInRange(v, cols);
                        FloatVector.fromArray(S, b, s + v, m).intoArray(dst, d + v);
                    }
                }
            }
        });
    }

    /**
     * A[i, p] = a[aOff + i·k + p] (row-major) or, with {@code transposed}, a[aOff + p·lda + i] (A stored
     * as [k, lda], of which the m columns from aOff are packed).
     */
    static void packA(float[] a, int aOff, boolean transposed, int lda, int m, int k, float[] dst, boolean parallel) {
        int np = panels(m, MR);
        Parallel.forEach(np, parallel ? grain(MR * k) : np, q -> {
            int base = q * MR * k, i0 = q * MR, rows = Math.min(MR, m - i0);
            if (transposed) {
                for (int p = 0; p < k; p++) {
                    int s = aOff + p * lda + i0, d = base + p * MR;
                    for (int r = 0; r < rows; r++) dst[d + r] = a[s + r];
                    for (int r = rows; r < MR; r++) dst[d + r] = 0;
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    int s = aOff + (i0 + r) * k;
                    for (int p = 0; p < k; p++) dst[base + p * MR + r] = a[s + p];
                }
                for (int r = rows; r < MR; r++) for (int p = 0; p < k; p++) dst[base + p * MR + r] = 0;
            }
        });
    }
}
