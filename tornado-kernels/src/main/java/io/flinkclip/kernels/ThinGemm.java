package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.KC;
import static io.flinkclip.kernels.MicroKernel.NR;
import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * C[m, n] (+)= A·B (+ bias) then act for at most {@link #MAX_ROWS} rows (one image's attention-pool query, the
 * last transformer block's one token): a matrix-vector product that streams B once. The tiled path would pack A
 * into a 12-row panel, run a 4-row edge tile of which m rows are real, and move every K slice's partial sums
 * through C; here each B micro-panel is widened (16-bit weights) and multiplied straight into registers, A read in
 * place, the sums carried from slice to slice in a small per-task array that stays in L1.
 *
 * <p>It adds exactly as the tiled path's edge tiles do (per K slice of {@link MicroKernel#KC} a chain of FMAs from
 * zero in ascending k, then that slice's sum plus the sum so far, bias and old C on the first slice), so a row's
 * result does not depend on how many rows came with it (GemmTest checks this bit for bit).
 */
final class ThinGemm {
    /** Fewer rows than the tiled path's smallest edge tile ({@link MicroKernel#EDGE_MR}). */
    static final int MAX_ROWS = MicroKernel.EDGE_MR - 1;
    /** Micro-panels per task when the product is split across threads. */
    private static final int PANELS_PER_TASK = 4;

    private ThinGemm() {}

    /** As {@link Sgemm#run} for 1 ≤ m ≤ {@link #MAX_ROWS} and k > 0. */
    static void run(float[] a, int aOff, boolean aTransposed, PackedMatrix b, float[] bias, float[] c, int cOff,
                    int m, int n, int k, boolean accumulate, Epilogue act) {
        // Row r of A at rows[rowsOff + r·k ..]: A itself, or a copy of a transposed A (stride m between a row's values).
        float[] rows = aTransposed ? rowsOf(a, aOff, m, k) : a;
        int rowsOff = aTransposed ? 0 : aOff, panels = Packing.panels(n, NR);
        int grain = Sgemm.isParallelOverWeights(m, n, k) ? Math.max(1, Math.min(PANELS_PER_TASK, panels / (2 * Parallel.THREADS))) : panels;
        Parallel.forEach((panels + grain - 1) / grain, 1, t -> {
            float[] wide = b.half != null ? Scratch.acquire(Scratch.B_PANEL, Math.min(k, KC) * NR) : null;
            float[] sums = new float[m * NR];
            try {
                for (int q = t * grain; q < Math.min(panels, (t + 1) * grain); q++)
                    panel(rows, rowsOff, m, b, wide, sums, q, bias, c, cOff, n, k, accumulate, act);
            } finally {
                Scratch.release(Scratch.B_PANEL, wide);
            }
        });
    }

    /** The m rows of a transposed A (a[aOff + p·m + r] = A[r, p]) as row-major copies. */
    private static float[] rowsOf(float[] a, int aOff, int m, int k) {
        float[] rows = new float[m * k];
        for (int r = 0; r < m; r++) for (int p = 0; p < k; p++) rows[r * k + p] = a[aOff + p * m + r];
        return rows;
    }

    /** Where micro-panel q's K slice [pc, pc + kc) is read: widened into {@code wide}, or in B's own floats. */
    private static int slice(PackedMatrix b, float[] wide, int q, int pc, int kc) {
        int bpo = q * NR * b.k + pc * NR;
        if (wide == null) return bpo;
        b.widen(bpo, kc * NR, wide);
        return 0;
    }

    /**
     * Micro-panel q for each row, one after the other over each widened slice: two FMA chains per row and slice,
     * the sums so far waiting in {@code sums} (m·NR floats: an array of vectors would be boxed).
     */
    private static void panel(float[] a, int aOff, int m, PackedMatrix b, float[] wide, float[] sums, int q, float[] bias,
                              float[] c, int cOff, int n, int k, boolean accumulate, Epilogue act) {
        int j = q * NR;
        float[] bp = wide != null ? wide : b.data;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc), bpo = slice(b, wide, q, pc, kc);
            for (int r = 0; r < m; r++) {
                FloatVector s0 = FloatVector.zero(S), s1 = s0;
                int ao = aOff + r * k + pc;
                for (int p = 0; p < kc; p++) {
                    FloatVector x = FloatVector.broadcast(S, a[ao + p]);
                    s0 = x.fma(FloatVector.fromArray(S, bp, bpo + p * NR), s0);
                    s1 = x.fma(FloatVector.fromArray(S, bp, bpo + p * NR + VL), s1);
                }
                int co = cOff + r * n, so = r * NR;
                if (pc == 0) {
                    s0 = start(s0, bias, c, co, j, n, accumulate);
                    s1 = start(s1, bias, c, co, j + VL, n, accumulate);
                } else {
                    s0 = s0.add(FloatVector.fromArray(S, sums, so));
                    s1 = s1.add(FloatVector.fromArray(S, sums, so + VL));
                }
                s0.intoArray(sums, so);
                s1.intoArray(sums, so + VL);
            }
        }
        for (int r = 0; r < m; r++) {
            store(FloatVector.fromArray(S, sums, r * NR), act, c, cOff + r * n + j, n - j);
            store(FloatVector.fromArray(S, sums, r * NR + VL), act, c, cOff + r * n + j + VL, n - j - VL);
        }
    }

    /** The first slice's sum, plus bias and old C where given (in the edge tiles' order), for columns [j, j + VL). */
    private static FloatVector start(FloatVector s, float[] bias, float[] c, int co, int j, int n, boolean accumulate) {
        if (j + VL <= n) {
            if (bias != null) s = s.add(FloatVector.fromArray(S, bias, j));
            if (accumulate) s = s.add(FloatVector.fromArray(S, c, co + j));
        } else if (j < n) {
            VectorMask<Float> in = S.indexInRange(j, n);
            if (bias != null) s = s.add(FloatVector.fromArray(S, bias, j, in));
            if (accumulate) s = s.add(FloatVector.fromArray(S, c, co + j, in));
        }
        return s;
    }

    /**
     * act(v) into c[o ..] for its first {@code valid} lanes (none when valid ≤ 0). The activation runs on the stored
     * values through {@link Epilogue#applyRows}: choosing among vector functions here (a switch yielding vectors)
     * made C2 box them, and this store took 1.4 % of a ViT-B/32 batch-1 pass.
     */
    private static void store(FloatVector v, Epilogue act, float[] c, int o, int valid) {
        if (valid <= 0) return;
        if (valid >= VL) v.intoArray(c, o);
        else v.intoArray(c, o, S.indexInRange(0, valid));
        act.applyRows(c, o, 0, 1, Math.min(valid, VL));
    }
}
