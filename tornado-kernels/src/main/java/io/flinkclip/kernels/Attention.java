package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Multi-head attention over a packed [tokens, q|k|v] buffer, one (batch, head) pair per parallel task.
 * Per head, K is transposed and V copied once into dense scratch; then blocks of R = 4 query rows are
 * handled together, GEMM style: each loaded key/value vector feeds four rows, and up to 16 independent
 * accumulators keep the FMA units busy. Causal blocks stop at their last row's position (masked keys of
 * the block's earlier rows get probability 0), so masked work beyond the diagonal block is skipped.
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
        Parallel.forEach(batch * heads, 1, bh -> head(qkv, qkvOff, out, outOff, bh / heads, bh % heads, seq, dim, hd, scale, causal));
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

    /** Query rows per block. */
    private static final int R = 4;

    private static void head(float[] qkv, int qkvOff, float[] out, int outOff, int b, int h, int seq, int dim, int hd,
                             float scale, boolean causal) {
        int seqPad = (seq + VL - 1) / VL * VL;
        float[] buf = Scratch.acquire(Scratch.ATTN, hd * seqPad + R * seqPad + seq * hd);
        try {
            head(qkv, qkvOff, out, outOff, b, h, seq, dim, hd, scale, causal, buf);
        } finally {
            Scratch.release(Scratch.ATTN, buf);
        }
    }

    private static void head(float[] qkv, int qkvOff, float[] out, int outOff, int b, int h, int seq, int dim, int hd,
                             float scale, boolean causal, float[] buf) {
        int stride = 3 * dim, base = qkvOff + b * seq * stride;
        int seqPad = (seq + VL - 1) / VL * VL;
        int scores = hd * seqPad, vals = scores + R * seqPad;
        // V rows sit 3·dim apart in qkv (a stride that maps many rows onto the same L1 sets): copy the
        // head's V into one dense block that every query row then sweeps.
        for (int s = 0; s < seq; s++) System.arraycopy(qkv, base + s * stride + 2 * dim + h * hd, buf, vals + s * hd, hd);
        transposeKeys(qkv, base + dim + h * hd, stride, seq, hd, buf, seqPad);

        float[] lanes = new float[VL];
        for (int t0 = 0; t0 < seq; t0 += R) {
            // A short last block repeats its final row; the duplicates are computed but never stored.
            int rows = Math.min(R, seq - t0);
            int blockLen = causal ? t0 + rows : seq;
            int q = base + t0 * stride + h * hd, lastQ = base + (t0 + rows - 1) * stride + h * hd;
            int q1 = rows > 1 ? q + stride : lastQ, q2 = rows > 2 ? q + 2 * stride : lastQ, q3 = rows > 3 ? q + 3 * stride : lastQ;
            scores(qkv, q, q1, q2, q3, buf, seqPad, hd, blockLen, buf, scores);
            for (int r = 0; r < R; r++) {
                int len = causal ? Math.min(t0 + r + 1, blockLen) : seq, row = scores + r * seqPad;
                softmaxRow(buf, row, len, scale, lanes);
                for (int s = (len + VL - 1) / VL * VL; s < blockLen; s++) buf[row + s] = 0f;
            }
            int o = outOff + (b * seq + t0) * dim + h * hd;
            weightValues(buf, vals, hd, buf, scores, seqPad, blockLen, out, o, dim, rows);
        }
    }

    /**
     * x[o, o + len) ← softmax(scale · x) in place and the rest of the last vector ← 0; the row must have room for
     * whole vectors (score rows are seqPad long). The partial last vector is masked instead of finishing in scalar
     * code, and the sum is taken from a stored vector ({@code lanes} holds VL floats):
     * {@link Ops#softmax}'s scalar tail exps and 16 lane extractions were a quarter of the attention's time at
     * ViT-B/32's 50 tokens.
     *
     * <p>Each loop handles the partial last vector by its mask, so {@link VectorMath#exp} is inlined at one call
     * site only. With a second copy for the tail, C2 sometimes compiled this method past its inlining budget and
     * left the Vector API calls inside exp unintrinsified (lane-by-lane Java, vectors boxed): the RN50 bench's
     * 77-token texts then ran at 32–36 texts/s instead of 49–55, a quarter of their time in this method. The running
     * max and sum are the ops' arguments, not their receivers (see {@link Ops}).
     */
    private static void softmaxRow(float[] x, int o, int len, float scale, float[] lanes) {
        int end = (len + VL - 1) / VL * VL;
        FloatVector minusInf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), zero = FloatVector.zero(S);
        FloatVector mv = minusInf;
        for (int i = 0; i < end; i += VL) mv = minusInf.blend(FloatVector.fromArray(S, x, o + i), S.indexInRange(i, len)).max(mv);
        float max = mv.reduceLanes(VectorOperators.MAX);
        // exp(scale·x − scale·max): scale > 0, so the shifted maximum is exactly 0 and nothing overflows.
        // Lanes past len may hold anything finite (masked scores, older rows); their exp is dropped.
        FloatVector sv = FloatVector.broadcast(S, scale), shift = FloatVector.broadcast(S, -scale * max), acc = zero;
        for (int i = 0; i < end; i += VL) {
            FloatVector e = zero.blend(VectorMath.exp(FloatVector.fromArray(S, x, o + i).fma(sv, shift)), S.indexInRange(i, len));
            e.intoArray(x, o + i);
            acc = e.add(acc);
        }
        // Sum of the lanes, left to right, in float. Not reduceLanes(ADD): its order is unspecified and differs
        // between interpreted and compiled code, which broke a bit-identical training resume in CI (ClipTrainerTest);
        // a shuffle tree measured slower. Written inline: as a helper taking the vector, C2 sometimes left it as a
        // call (node limit) and boxed the vector on every row.
        acc.intoArray(lanes, 0);
        float sum = 0f;
        for (int l = 0; l < VL; l++) sum += lanes[l];
        float inv = 1f / sum;
        for (int i = 0; i < end; i += VL) FloatVector.fromArray(S, x, o + i).mul(inv).intoArray(x, o + i);
    }

    /**
     * kt[i·seqPad + s] = K[s, i] (K row s at qkv[k0 + s·stride]); padding columns s ≥ seq are zero so the last
     * score vector reads defined values. One gather reads VL keys' element i (a scalar copy of each element
     * was a third of this class's time on ViT-B/32).
     */
    private static void transposeKeys(float[] qkv, int k0, int stride, int seq, int hd, float[] kt, int seqPad) {
        // Gathers check every lane's index, masked or not: lanes past the last key re-read it and are zeroed.
        int[] rows = new int[VL];
        FloatVector zero = FloatVector.zero(S);
        for (int s0 = 0; s0 < seq; s0 += VL) {
            VectorMask<Float> valid = S.indexInRange(s0, seq);
            for (int l = 0; l < VL; l++) rows[l] = Math.min(l, seq - 1 - s0) * stride;
            int src = k0 + s0 * stride;
            for (int i = 0; i < hd; i++)
                zero.blend(FloatVector.fromArray(S, qkv, src + i, rows, 0), valid).intoArray(kt, i * seqPad + s0);
        }
    }

    /**
     * buf[scores + r·seqPad + s] = Σ_i q_r[i] · kt[i, s] for the four query rows q0..q3 and s < len
     * (rounded up to whole vectors). Each broadcast q_r[i] and each key vector is used four times.
     */
    private static void scores(float[] qkv, int q0, int q1, int q2, int q3, float[] kt, int seqPad, int hd, int len,
                               float[] buf, int scores) {
        int s0 = 0;
        if (len > 2 * VL) {
            // Blocks of 2 key vectors × 4 rows: 8 chains; 4×4 would spill with the operands.
            for (; s0 + VL < len; s0 += 2 * VL) {
                FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int i = 0, o = s0; i < hd; i++, o += seqPad) {
                    FloatVector k0 = FloatVector.fromArray(S, kt, o), k1 = FloatVector.fromArray(S, kt, o + VL);
                    FloatVector x0 = FloatVector.broadcast(S, qkv[q0 + i]);
                    a00 = k0.fma(x0, a00); a01 = k1.fma(x0, a01);
                    FloatVector x1 = FloatVector.broadcast(S, qkv[q1 + i]);
                    a10 = k0.fma(x1, a10); a11 = k1.fma(x1, a11);
                    FloatVector x2 = FloatVector.broadcast(S, qkv[q2 + i]);
                    a20 = k0.fma(x2, a20); a21 = k1.fma(x2, a21);
                    FloatVector x3 = FloatVector.broadcast(S, qkv[q3 + i]);
                    a30 = k0.fma(x3, a30); a31 = k1.fma(x3, a31);
                }
                a00.intoArray(buf, scores + s0); a01.intoArray(buf, scores + s0 + VL);
                a10.intoArray(buf, scores + seqPad + s0); a11.intoArray(buf, scores + seqPad + s0 + VL);
                a20.intoArray(buf, scores + 2 * seqPad + s0); a21.intoArray(buf, scores + 2 * seqPad + s0 + VL);
                a30.intoArray(buf, scores + 3 * seqPad + s0); a31.intoArray(buf, scores + 3 * seqPad + s0 + VL);
            }
        }
        for (; s0 < len; s0 += VL) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0, o = s0; i < hd; i++, o += seqPad) {
                FloatVector k0 = FloatVector.fromArray(S, kt, o);
                a0 = k0.fma(FloatVector.broadcast(S, qkv[q0 + i]), a0);
                a1 = k0.fma(FloatVector.broadcast(S, qkv[q1 + i]), a1);
                a2 = k0.fma(FloatVector.broadcast(S, qkv[q2 + i]), a2);
                a3 = k0.fma(FloatVector.broadcast(S, qkv[q3 + i]), a3);
            }
            a0.intoArray(buf, scores + s0);
            a1.intoArray(buf, scores + seqPad + s0);
            a2.intoArray(buf, scores + 2 * seqPad + s0);
            a3.intoArray(buf, scores + 3 * seqPad + s0);
        }
    }

    /**
     * For the block's rows r < rows: out[o + r·ldo + c] = Σ_{s<len} p_r[s] · V[s, c], with p_r at
     * p[pOff + r·ldp] and V rows dense at vv[v0 + s·hd]. Each V vector feeds four rows (all four are
     * computed; rows ≥ {@code rows} are dropped at the store).
     */
    private static void weightValues(float[] vv, int v0, int hd, float[] p, int pOff, int ldp, int len, float[] out, int o,
                                     int ldo, int rows) {
        int p1 = pOff + ldp, p2 = pOff + 2 * ldp, p3 = pOff + 3 * ldp;
        int c = 0;
        for (; c + 2 * VL <= hd; c += 2 * VL) {
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int s = 0, v = v0 + c; s < len; s++, v += hd) {
                FloatVector w0 = FloatVector.fromArray(S, vv, v), w1 = FloatVector.fromArray(S, vv, v + VL);
                FloatVector x0 = FloatVector.broadcast(S, p[pOff + s]);
                a00 = w0.fma(x0, a00); a01 = w1.fma(x0, a01);
                FloatVector x1 = FloatVector.broadcast(S, p[p1 + s]);
                a10 = w0.fma(x1, a10); a11 = w1.fma(x1, a11);
                FloatVector x2 = FloatVector.broadcast(S, p[p2 + s]);
                a20 = w0.fma(x2, a20); a21 = w1.fma(x2, a21);
                FloatVector x3 = FloatVector.broadcast(S, p[p3 + s]);
                a30 = w0.fma(x3, a30); a31 = w1.fma(x3, a31);
            }
            a00.intoArray(out, o + c); a01.intoArray(out, o + c + VL);
            if (rows > 1) { a10.intoArray(out, o + ldo + c); a11.intoArray(out, o + ldo + c + VL); }
            if (rows > 2) { a20.intoArray(out, o + 2 * ldo + c); a21.intoArray(out, o + 2 * ldo + c + VL); }
            if (rows > 3) { a30.intoArray(out, o + 3 * ldo + c); a31.intoArray(out, o + 3 * ldo + c + VL); }
        }
        for (; c + VL <= hd; c += VL) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int s = 0, v = v0 + c; s < len; s++, v += hd) {
                FloatVector w0 = FloatVector.fromArray(S, vv, v);
                a0 = w0.fma(FloatVector.broadcast(S, p[pOff + s]), a0);
                a1 = w0.fma(FloatVector.broadcast(S, p[p1 + s]), a1);
                a2 = w0.fma(FloatVector.broadcast(S, p[p2 + s]), a2);
                a3 = w0.fma(FloatVector.broadcast(S, p[p3 + s]), a3);
            }
            a0.intoArray(out, o + c);
            if (rows > 1) a1.intoArray(out, o + ldo + c);
            if (rows > 2) a2.intoArray(out, o + 2 * ldo + c);
            if (rows > 3) a3.intoArray(out, o + 3 * ldo + c);
        }
        // Head widths that are not a multiple of the vector length finish in scalar code.
        for (; c < hd; c++) {
            for (int r = 0; r < rows; r++) {
                double acc = 0;
                for (int s = 0; s < len; s++) acc += p[pOff + r * ldp + s] * vv[v0 + s * hd + c];
                out[o + r * ldo + c] = (float) acc;
            }
        }
    }
}
