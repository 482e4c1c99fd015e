package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Parallel;

/**
 * Multi-head scaled dot-product attention with separate, strided q / k / v views, forward and backward. Token t of
 * batch b in head h reads {@code q[qOff + (b·lq + t)·qStride + h·hd …]} (likewise k, v with lk tokens). The packed
 * [q | k | v] layout of CLIP's transformer is q = k = v = qkv, offsets off, off+dim, off+2·dim, strides 3·dim; the
 * ResNet attention pool is lq = 1 (the mean token) over lk = HW+1 keys. Causal masking (s ≤ t) needs lq = lk.
 */
public final class AttentionBackward {
    private AttentionBackward() {}

    /** Strided view of one of q, k, v (or their gradients). */
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
        int hd = dim / heads;
        double scale = 1.0 / Math.sqrt(hd);
        // Heads write disjoint columns of dk/dv; batches disjoint rows: (b, h) tasks never race.
        Parallel.forEach(batch * heads, 1, bh -> {
            int b = bh / heads, h = bh % heads;
            float[] p = new float[lk];
            double[] dp = new double[lk];
            for (int t = 0; t < lq; t++) {
                int go = dOutOff + (b * lq + t) * dim + h * hd;
                boolean any = false;
                for (int i = 0; i < hd; i++) any |= dOut[go + i] != 0;
                if (!any) continue; // contributes exactly zero: e.g. attention pooling's unused queries, text padding
                int len;
                if (probs != null) {
                    len = causal ? t + 1 : lk;
                    System.arraycopy(probs, ((b * heads + h) * lq + t) * lk, p, 0, lk);
                } else {
                    len = probabilities(q, k, b, h, t, lq, lk, hd, scale, causal, p);
                }
                double dot = 0;
                for (int j = 0; j < len; j++) {
                    int vo = v.at(b, lk, j, h * hd), dvo = dv.at(b, lk, j, h * hd);
                    double s = 0;
                    for (int i = 0; i < hd; i++) {
                        s += dOut[go + i] * v.buf[vo + i];
                        dv.buf[dvo + i] += p[j] * dOut[go + i];
                    }
                    dp[j] = s;
                    dot += p[j] * s;
                }
                int qo = q.at(b, lq, t, h * hd), dqo = dq.at(b, lq, t, h * hd);
                for (int j = 0; j < len; j++) {
                    double ds = p[j] * (dp[j] - dot) * scale;   // d(score before scaling)
                    int ko = k.at(b, lk, j, h * hd), dko = dk.at(b, lk, j, h * hd);
                    for (int i = 0; i < hd; i++) {
                        dq.buf[dqo + i] += (float) (ds * k.buf[ko + i]);
                        dk.buf[dko + i] += (float) (ds * q.buf[qo + i]);
                    }
                }
            }
        });
    }

    private static int probabilities(View q, View k, int b, int h, int t, int lq, int lk, int hd, double scale,
                                     boolean causal, float[] p) {
        int len = causal ? t + 1 : lk;
        int qo = q.at(b, lq, t, h * hd);
        double max = Double.NEGATIVE_INFINITY;
        double[] sc = new double[len];
        for (int j = 0; j < len; j++) {
            int ko = k.at(b, lk, j, h * hd);
            double s = 0;
            for (int i = 0; i < hd; i++) s += q.buf[qo + i] * k.buf[ko + i];
            sc[j] = s * scale;
            max = Math.max(max, sc[j]);
        }
        double sum = 0;
        for (int j = 0; j < len; j++) { sc[j] = Math.exp(sc[j] - max); sum += sc[j]; }
        for (int j = 0; j < len; j++) p[j] = (float) (sc[j] / sum);
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
