package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.MR;
import static io.flinkclip.kernels.MicroKernel.NR;
import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Multi-head attention over a packed [tokens, q|k|v] buffer, one (batch, head) pair per parallel task. Per head the
 * two products run on the SGEMM register tile over operands packed into scratch: scores transposed (Sᵀ = K·Qᵀ, one
 * column per query, so the softmax is lane-wise) and O = P·V. Each score is the same fused multiply-add chain over
 * the head width as a plain dot product, and each output the same chain over keys, so results do not depend on
 * the batch or on which other tokens share a tile.
 */
final class Attention {
    private Attention() {}

    static void run(float[] qkv, int qkvOff, float[] out, int outOff, int batch, int seq, int dim, int heads, boolean causal) {
        checkShape(batch, seq, dim, heads);
        long tokens = (long) batch * seq;
        Checks.range("qkv", qkv, qkvOff, tokens * 3 * dim);
        Checks.range("out", out, outOff, tokens * dim);
        if (tokens == 0 || dim == 0) return;
        int hd = dim / heads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Layout l = Layout.of(seq, hd);
        // Row offsets of keys and queries within an item (padding rows repeat the last token).
        int[] rowOffs = new int[Math.max(l.panels() * MR, l.qPanels() * NR) + 16];
        for (int s = 0; s < rowOffs.length; s++) rowOffs[s] = Math.min(s, seq - 1) * 3 * dim;
        // Whole items per task when there are enough of them: threads then never write the same rows of out (a head
        // is a column slice of each row, 256 B at CLIP's width 64, and neighbouring heads share cache lines), and one
        // thread reads an item's q|k|v rows for all its heads while they are in cache.
        int grain = batch >= 2 * Parallel.THREADS ? heads : 1;
        Parallel.forEach(batch * heads, grain, bh -> head(qkv, qkvOff, out, outOff, bh / heads, bh % heads, seq, dim, hd, scale, causal, l, rowOffs));
    }

    private static void checkShape(int batch, int seq, int dim, int heads) {
        Checks.dims("batch", batch, "seq", seq, "dim", dim);
        if (heads <= 0 || dim % heads != 0)
            throw new IllegalArgumentException("dim " + dim + " is not divisible into " + heads + " heads");
    }

    /**
     * One query per item over the [q | k | v] layout of {@link #run}: out[b, h·hd ..] = Σ_s softmax_s(scale ·
     * q_b,rows[b] · k_bs) v_bs over s < seq (s ≤ rows[b] when causal). Scalar loops, softmax in double: per item
     * heads·len·hd multiply-adds, a 1/seq share of the full attention.
     */
    static void rows(float[] qkv, float[] out, int batch, int seq, int dim, int heads, boolean causal, int[] rows) {
        checkShape(batch, seq, dim, heads);
        if (rows.length < batch) throw new IllegalArgumentException(rows.length + " query rows for " + batch + " items");
        for (int b = 0; b < batch; b++) {
            if (rows[b] < 0 || rows[b] >= seq) throw new IllegalArgumentException("query row " + rows[b] + " outside 0.." + (seq - 1));
        }
        Checks.range("qkv", qkv, 0, (long) batch * seq * 3 * dim);
        Checks.range("out", out, 0, (long) batch * dim);
        int hd = dim / heads, stride = 3 * dim;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(batch * heads, 4, bh -> {
            int b = bh / heads, h = bh % heads, len = causal ? rows[b] + 1 : seq;
            int base = b * seq * stride + h * hd, q = base + rows[b] * stride, o = b * dim + h * hd;
            double[] p = new double[len];
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < len; s++) {
                int k = base + s * stride + dim;
                float dot = 0f;
                for (int d = 0; d < hd; d++) dot += qkv[q + d] * qkv[k + d];
                p[s] = (double) dot * scale;
                max = Math.max(max, p[s]);
            }
            double sum = 0;
            for (int s = 0; s < len; s++) sum += p[s] = Math.exp(p[s] - max);
            java.util.Arrays.fill(out, o, o + hd, 0f);
            for (int s = 0; s < len; s++) {
                float w = (float) (p[s] / sum);
                int v = base + s * stride + 2 * dim;
                for (int d = 0; d < hd; d++) out[o + d] += w * qkv[v + d];
            }
        });
    }

    /**
     * Sizes and offsets of one head's scratch (the same for every head of a call). Keys and queries are the GEMM
     * tile's operands: K as MR-row A panels, Qᵀ as NR-column B panels, so Sᵀ = K·Qᵀ comes out with one row per key
     * and one column per query; P as MR-row A panels and V as NR-column B panels for P·V. Each region has VL floats
     * of slack for stores that run past their end.
     */
    private record Layout(int panels, int qPanels, int hdPanels, int ld, int kp, int qt, int st, int pp, int vp,
                          int edge, int inv, int size) {
        static Layout of(int seq, int hd) {
            int panels = (seq + MR - 1) / MR, qPanels = (seq + NR - 1) / NR, hdPanels = (hd + NR - 1) / NR;
            // Sᵀ rows are read VL queries at a time from each P panel's first query.
            int ld = Math.max(qPanels * NR, panels * MR + VL);
            int kp = 0, qt = kp + panels * hd * MR + VL, st = qt + qPanels * hd * NR + VL, pp = st + panels * MR * ld + VL;
            int vp = pp + panels * seq * MR + VL, edge = vp + hdPanels * seq * NR + VL, inv = edge + MR * NR;
            // One 1/Σ per query, read VL at a time from each P panel's first query.
            int size = inv + ld + VL;
            return new Layout(panels, qPanels, hdPanels, ld, kp, qt, st, pp, vp, edge, inv, size);
        }
    }

    private static void head(float[] qkv, int qkvOff, float[] out, int outOff, int b, int h, int seq, int dim, int hd,
                             float scale, boolean causal, Layout l, int[] rowOffs) {
        float[] buf = Scratch.acquire(Scratch.ATTN, l.size());
        try {
            head(qkv, qkvOff, out, outOff, b, h, seq, dim, hd, scale, causal, l, rowOffs, buf);
        } finally {
            Scratch.release(Scratch.ATTN, buf);
        }
    }

    /**
     * One (image or text, head): Sᵀ = K·Qᵀ and O = P·V on {@link MicroKernel#tile}, the softmax down Sᵀ's columns
     * (one vector holds VL queries, so max and sum are lane-wise and need no horizontal reduction). The former 4-row
     * kernel spent a quarter of its time in per-row softmaxes; this one takes 17–27 % less time at ViT-B/32's shapes
     * and 12–19 % less for causal 77-token texts on two threads (AttentionBench, docs/BENCHMARKS.md).
     * Causal: a query's keys stop at its own position; tiles wholly above the diagonal are skipped, later keys
     * get probability 0, and P·V stops at each panel's last query.
     */
    private static void head(float[] qkv, int qkvOff, float[] out, int outOff, int b, int h, int seq, int dim, int hd,
                             float scale, boolean causal, Layout l, int[] rowOffs, float[] buf) {
        int stride = 3 * dim, base = qkvOff + b * seq * stride, q0 = base + h * hd, k0 = q0 + dim, v0 = k0 + dim;
        packKeys(qkv, k0, hd, rowOffs, l, buf);
        packQueriesTransposed(qkv, q0, hd, rowOffs, l, buf);
        float[] zeros = MicroKernel.ZEROS;
        float none = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < l.panels(); t++) {
            for (int qp = 0; qp < l.qPanels(); qp++) {
                if (causal && t * MR > qp * NR + NR - 1) continue; // every key after every query
                MicroKernel.tile(buf, l.kp() + t * hd * MR, buf, l.qt() + qp * hd * NR, hd, zeros, 0, 0,
                        buf, l.st() + t * MR * l.ld() + qp * NR, l.ld(), zeros, 0, none);
            }
        }
        for (int c = 0; c < seq; c += VL) softmaxColumns(buf, l.st(), l.ld(), seq, c, scale, causal, l.inv());
        packValues(qkv, v0, stride, seq, hd, l, buf);
        for (int p = 0; p < l.panels(); p++) {
            int r0 = p * MR, kc = causal ? Math.min(seq, r0 + MR) : seq, ap = l.pp() + p * seq * MR;
            packProbabilities(buf, l.st() + r0, l.ld(), kc, buf, l.inv() + r0, buf, ap);
            int rows = Math.min(MR, seq - r0);
            for (int dp = 0; dp < l.hdPanels(); dp++) {
                int cols = Math.min(NR, hd - dp * NR), o = outOff + (b * seq + r0) * dim + h * hd + dp * NR;
                int bp = l.vp() + dp * seq * NR;
                if (rows == MR && cols == NR) {
                    MicroKernel.tile(buf, ap, buf, bp, kc, zeros, 0, 0, out, o, dim, zeros, 0, none);
                } else {
                    MicroKernel.tile(buf, ap, buf, bp, kc, zeros, 0, 0, buf, l.edge(), NR, zeros, 0, none);
                    for (int r = 0; r < rows; r++) System.arraycopy(buf, l.edge() + r * NR, out, o + r * dim, cols);
                }
            }
        }
    }

    /**
     * K's rows as MR-row A panels over the head width: kp[t·hd·MR + i·MR + r] = K[t·MR + r, i]; rows past the last
     * key repeat it (their scores are never read).
     */
    private static void packKeys(float[] qkv, int k0, int hd, int[] rowOffs, Layout l, float[] buf) {
        for (int t = 0; t < l.panels(); t++) {
            int d = l.kp() + t * hd * MR;
            if (Transpose.AVAILABLE && hd % 16 == 0) {
                for (int i = 0; i < hd; i += 16) Transpose.rows12(qkv, rowOffs, t * MR, k0 + i, buf, d + i * MR);
            } else {
                for (int i = 0; i < hd; i++)
                    for (int r = 0; r < MR; r++) buf[d + i * MR + r] = qkv[k0 + rowOffs[t * MR + r] + i];
            }
        }
    }

    /** Qᵀ as NR-column B panels: qt[qp·hd·NR + i·NR + j] = Q[qp·NR + j, i]; columns past the last query repeat it. */
    private static void packQueriesTransposed(float[] qkv, int q0, int hd, int[] rowOffs, Layout l, float[] buf) {
        for (int qp = 0; qp < l.qPanels(); qp++) {
            int d = l.qt() + qp * hd * NR;
            if (Transpose.AVAILABLE && hd % 16 == 0) {
                for (int j = 0; j < NR; j += 16)
                    for (int i = 0; i < hd; i += 16) Transpose.rows16(qkv, rowOffs, qp * NR + j, q0 + i, buf, d + i * NR + j, NR);
            } else {
                for (int i = 0; i < hd; i++)
                    for (int j = 0; j < NR; j++) buf[d + i * NR + j] = qkv[q0 + rowOffs[qp * NR + j] + i];
            }
        }
    }

    /**
     * V as NR-column B panels, {@link Packing}'s layout of a row-major B with seq rows: vp[dp·seq·NR + s·NR + j] =
     * V[s, dp·NR + j], zero past the head width.
     */
    private static void packValues(float[] qkv, int v0, int stride, int seq, int hd, Layout l, float[] buf) {
        for (int dp = 0; dp < l.hdPanels(); dp++) {
            int cols = Math.min(NR, hd - dp * NR), d = l.vp() + dp * seq * NR;
            if (cols == NR) Packing.fullPanelNn(qkv, v0 + dp * NR, stride, seq, buf, d);
            else Packing.edgePanelNn(qkv, v0 + dp * NR, stride, seq, cols, buf, d);
        }
    }

    private static final FloatVector LANE_INDEX = laneIndex();

    private static FloatVector laneIndex() {
        float[] idx = new float[VL];
        for (int i = 0; i < VL; i++) idx[i] = i;
        return FloatVector.fromArray(S, idx, 0);
    }

    /**
     * Softmax of VL query columns c.. of Sᵀ (rows = keys, stride ld): Sᵀ becomes exp(scale·x − scale·max), the sum
     * taken key by key in order, and inv[c..] = 1/Σ; {@link #packProbabilities} applies that factor while it copies the
     * panel out (the same product as normalising here, one pass over Sᵀ fewer). Causal: key s counts for query q iff
     * s ≤ q; the rest of the column down to key seq − 1 becomes 0, so P·V may run to any panel's end.
     */
    private static void softmaxColumns(float[] st, int o, int ld, int seq, int c, float scale, boolean causal, int inv) {
        FloatVector minusInf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), zero = FloatVector.zero(S);
        // The last key each lane's query sees.
        FloatVector last = causal ? LANE_INDEX.add((float) c) : FloatVector.broadcast(S, (float) (seq - 1));
        int end = causal ? Math.min(seq, c + VL) : seq, at = o + c;
        FloatVector mv = minusInf;
        for (int s = 0; s < end; s++) {
            var valid = FloatVector.broadcast(S, (float) s).compare(VectorOperators.LE, last);
            mv = minusInf.blend(FloatVector.fromArray(S, st, at + s * ld), valid).max(mv);
        }
        // exp(scale·x − scale·max): scale > 0, so the shifted maximum is exactly 0 and nothing overflows.
        FloatVector sv = FloatVector.broadcast(S, scale), shift = mv.mul(-scale), sum = zero;
        for (int s = 0; s < end; s++) {
            var valid = FloatVector.broadcast(S, (float) s).compare(VectorOperators.LE, last);
            FloatVector e = zero.blend(VectorMath.exp(FloatVector.fromArray(S, st, at + s * ld).fma(sv, shift)), valid);
            e.intoArray(st, at + s * ld);
            sum = e.add(sum);
        }
        FloatVector.broadcast(S, 1f).div(sum).intoArray(st, inv + c);
        for (int s = end; s < seq; s++) zero.intoArray(st, at + s * ld);
    }

    /**
     * MR queries' probabilities (Sᵀ columns from st, row stride ld, times their 1/Σ from inv[iOff..]) over keys [0, kc)
     * as one A panel: ap[s·MR + r] = P[r, s]. A VL-lane copy per key whose lanes past MR are overwritten by the next
     * key's.
     */
    private static void packProbabilities(float[] st, int from, int ld, int kc, float[] inv, int iOff, float[] ap, int d) {
        if (VL >= MR) {
            FloatVector f = FloatVector.fromArray(S, inv, iOff);
            for (int s = 0; s < kc; s++) FloatVector.fromArray(S, st, from + s * ld).mul(f).intoArray(ap, d + s * MR);
        } else {
            for (int s = 0; s < kc; s++) for (int r = 0; r < MR; r++) ap[d + s * MR + r] = st[from + s * ld + r] * inv[iOff + r];
        }
    }
}
