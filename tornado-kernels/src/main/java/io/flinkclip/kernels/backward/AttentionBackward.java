package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head scaled dot-product attention with separate, strided q / k / v views, forward and backward. Token t of
 * batch b in head h reads {@code q[qOff + (b·lq + t)·qStride + h·hd …]} (likewise k, v with lk tokens). The packed
 * [q | k | v] layout of CLIP's transformer is q = k = v = qkv, offsets off, off+dim, off+2·dim, strides 3·dim; the
 * ResNet attention pool is lq = 1 (the mean token) over lk = HW+1 keys. Causal masking (s ≤ t) needs lq = lk.
 */
public final class AttentionBackward {
    private AttentionBackward() {}

    /** Strided view of one of q, k, v (or their gradients). */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    public record View(float[] buf, int off, int stride) {
        int at(int b, int len, int t, int col) { return off + (b * len + t) * stride + col; }
    }

    public static View packedQ(float[] qkv, int off, int dim) { return new View(qkv, off, 3 * dim); }

    public static View packedK(float[] qkv, int off, int dim) { return new View(qkv, off + dim, 3 * dim); }

    public static View packedV(float[] qkv, int off, int dim) { return new View(qkv, off + 2 * dim, 3 * dim); }

    /**
     * out[b, t, :] (row stride dim) = concat_h softmax(q_h k_hᵀ/√hd) v_h. If {@code probs} is non-null the
     * probabilities are saved there as [batch, heads, lq, lk] (masked entries 0) for a backward without recompute.
     */
    public static void forward(View q, View k, View v, float[] out, int outOff, float[] probs,
                               int batch, int lq, int lk, int dim, int heads, boolean causal) {
        check(lq, lk, dim, heads, causal);
        checkViews(batch, lq, lk, dim, q, k, v);
        Spans.check(out, outOff, (long) batch * lq * dim, "attention output");
        if (probs != null) Spans.check(probs, 0, (long) batch * heads * lq * lk, "probabilities");
        int hd = dim / heads;
        double scale = 1.0 / Math.sqrt(hd);
        Parallel.forEach(batch * heads, 1, bh -> {
            int b = bh / heads, h = bh % heads;
            float[] p = new float[lk];
            for (int t = 0; t < lq; t++) {
                int len = probabilities(q, k, b, h, t, lq, lk, hd, scale, causal, p);
                int o = outOff + (b * lq + t) * dim + h * hd;
                for (int i = 0; i < hd; i++) {
                    double s = 0;
                    for (int j = 0; j < len; j++) s += p[j] * v.buf[v.at(b, lk, j, h * hd) + i];
                    out[o + i] = (float) s;
                }
                if (probs != null) {
                    int po = ((b * heads + h) * lq + t) * lk;
                    for (int j = 0; j < lk; j++) probs[po + j] = j < len ? p[j] : 0f;
                }
            }
        });
    }

    /**
     * Accumulates dq, dk, dv (views with the same layout as q, k, v; for packed qkv pass views of one dqkv buffer)
     * from dOut [batch·lq, dim]. Probabilities come from {@code probs} if given, else are recomputed from q and k.
     */
    public static void backward(View q, View k, View v, float[] dOut, int dOutOff, float[] probs,
                                View dq, View dk, View dv, int batch, int lq, int lk, int dim, int heads, boolean causal) {
        check(lq, lk, dim, heads, causal);
        checkViews(batch, lq, lk, dim, q, k, v);
        checkViews(batch, lq, lk, dim, dq, dk, dv);
        Spans.check(dOut, dOutOff, (long) batch * lq * dim, "dOut");
        if (probs != null) Spans.check(probs, 0, (long) batch * heads * lq * lk, "probabilities");
        int hd = dim / heads, lkPad = (lk + VL - 1) / VL * VL;
        float scale = (float) (1.0 / Math.sqrt(hd));
        // Heads write disjoint columns of dk/dv; batches disjoint rows: (b, h) tasks never race.
        Parallel.forEach(batch * heads, 1, bh -> {
            int b = bh / heads, h = bh % heads, col = h * hd;
            // Kᵀ and Vᵀ of this head ([hd, lkPad], zero-padded): scores and dP for 16 keys at once are then
            // broadcast-FMAs over hd, with no horizontal sums (which would make the result order-dependent).
            float[] kT = transposeHead(k, b, lk, col, hd, lkPad), vT = transposeHead(v, b, lk, col, hd, lkPad);
            float[] p = new float[lkPad], dp = new float[lkPad];
            double[] scores = new double[lk];
            for (int t = 0; t < lq; t++) {
                int go = dOutOff + (b * lq + t) * dim + col;
                boolean any = false;
                for (int i = 0; i < hd; i++) any |= dOut[go + i] != 0;
                if (!any) continue; // contributes exactly zero: e.g. attention pooling's unused queries, text padding
                int len = causal ? t + 1 : lk, qo = q.at(b, lq, t, col), dqo = dq.at(b, lq, t, col);
                if (probs != null) {
                    System.arraycopy(probs, ((b * heads + h) * lq + t) * lk, p, 0, lk);
                } else {
                    rowTimesTransposed(q.buf, qo, kT, hd, lkPad, len, p);
                    for (int j = 0; j < len; j++) scores[j] = (double) p[j] * scale;
                    softmax(scores, len, p);
                }
                rowTimesTransposed(dOut, go, vT, hd, lkPad, len, dp);
                double dot = 0;
                for (int j = 0; j < len; j++) dot += (double) p[j] * dp[j];
                for (int j = 0; j < len; j++) {
                    float ds = (float) (p[j] * (dp[j] - dot) * scale);   // d(score before scaling)
                    axpy(p[j], dOut, go, dv.buf, dv.at(b, lk, j, col), hd);
                    axpy(ds, k.buf, k.at(b, lk, j, col), dq.buf, dqo, hd);
                    axpy(ds, q.buf, qo, dk.buf, dk.at(b, lk, j, col), hd);
                }
            }
        });
    }

    /** [hd, lkPad] transpose of one head's rows of x (columns col..col+hd), zero beyond lk. */
    private static float[] transposeHead(View x, int b, int lk, int col, int hd, int lkPad) {
        float[] t = new float[hd * lkPad];
        for (int j = 0; j < lk; j++) {
            int o = x.at(b, lk, j, col);
            for (int i = 0; i < hd; i++) t[i * lkPad + j] = x.buf[o + i];
        }
        return t;
    }

    /** out[j] = Σ_i row[ro + i] · xT[i, j] for j < len (rounded up to whole vectors; xT is zero-padded). */
    private static void rowTimesTransposed(float[] row, int ro, float[] xT, int hd, int lkPad, int len, float[] out) {
        int end = (len + VL - 1) / VL * VL;
        for (int j = 0; j < end; j += VL) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < hd; i++) acc = FloatVector.fromArray(S, xT, i * lkPad + j).fma(FloatVector.broadcast(S, row[ro + i]), acc);
            acc.intoArray(out, j);
        }
    }

    /** p[0..len) = softmax(scores[0..len)), in double; scores is overwritten. Forward and backward share it. */
    private static void softmax(double[] scores, int len, float[] p) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) max = Math.max(max, scores[j]);
        double sum = 0;
        for (int j = 0; j < len; j++) { scores[j] = Math.exp(scores[j] - max); sum += scores[j]; }
        for (int j = 0; j < len; j++) p[j] = (float) (scores[j] / sum);
    }

    /** y[yo..yo+n) += a · x[xo..xo+n). */
    private static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0, vec = S.loopBound(n);
        for (; i < vec; i += VL) FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = Math.fma(a, x[xo + i], y[yo + i]);
    }

    private static int probabilities(View q, View k, int b, int h, int t, int lq, int lk, int hd, double scale,
                                     boolean causal, float[] p) {
        int len = causal ? t + 1 : lk;
        int qo = q.at(b, lq, t, h * hd);
        double[] sc = new double[len];
        for (int j = 0; j < len; j++) {
            int ko = k.at(b, lk, j, h * hd);
            double s = 0;
            for (int i = 0; i < hd; i++) s += q.buf[qo + i] * k.buf[ko + i];
            sc[j] = s * scale;
        }
        softmax(sc, len, p);
        return len;
    }

    private static void checkViews(int batch, int lq, int lk, int dim, View q, View k, View v) {
        span(q, batch, lq, dim, "q");
        span(k, batch, lk, dim, "k");
        span(v, batch, lk, dim, "v");
    }

    private static void span(View x, int batch, int len, int dim, String what) {
        if (x.stride() < dim) throw new IllegalArgumentException(what + ": row stride " + x.stride() + " is smaller than dim " + dim);
        Spans.check(x.buf(), x.off(), (long) (batch * len - 1) * x.stride() + dim, what);
    }

    private static void check(int lq, int lk, int dim, int heads, boolean causal) {
        Spans.positive("attention", lq, lk, dim);
        if (heads <= 0 || dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " not divisible by heads " + heads);
        if (causal && lq != lk) throw new IllegalArgumentException("causal attention needs lq == lk, got " + lq + " vs " + lk);
    }
}
