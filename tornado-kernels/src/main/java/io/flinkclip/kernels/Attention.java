package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Multi-head attention over a packed [tokens, q|k|v] buffer, one (batch, head) pair per parallel task.
 * Per head, K is transposed once into scratch so each query row's scores are a broadcast-FMA sweep over
 * contiguous keys; the probabilities then weight V rows the same way. Causal rows stop at their own
 * position, so masked work is skipped rather than computed and discarded.
 */
final class Attention {
    private Attention() {}

    static void run(float[] qkv, int qkvOff, float[] out, int outOff, int batch, int seq, int dim, int heads, boolean causal) {
        Checks.dims("batch", batch, "seq", seq, "dim", dim);
        if (heads <= 0 || dim % heads != 0)
            throw new IllegalArgumentException("dim " + dim + " is not divisible into " + heads + " heads");
        long tokens = (long) batch * seq;
        Checks.range("qkv", qkv, qkvOff, tokens * 3 * dim);
        Checks.range("out", out, outOff, tokens * dim);
        if (tokens == 0 || dim == 0) return;
        int hd = dim / heads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(batch * heads, 1, bh -> head(qkv, qkvOff, out, outOff, bh / heads, bh % heads, seq, dim, hd, scale, causal));
    }

    private static void head(float[] qkv, int qkvOff, float[] out, int outOff, int b, int h, int seq, int dim, int hd,
                             float scale, boolean causal) {
        int stride = 3 * dim, base = qkvOff + b * seq * stride;
        int seqPad = (seq + VL - 1) / VL * VL;
        float[] buf = Scratch.acquire(Scratch.ATTN, hd * seqPad + seqPad);
        try {
            head(qkv, out, outOff, b, h, seq, dim, hd, scale, causal, stride, base, seqPad, buf);
        } finally {
            Scratch.release(Scratch.ATTN, buf);
        }
    }

    private static void head(float[] qkv, float[] out, int outOff, int b, int h, int seq, int dim, int hd, float scale,
                             boolean causal, int stride, int base, int seqPad, float[] buf) {
        int scores = hd * seqPad;
        // kt[i, s] = K[s, i]; padding columns are zero so the last score vector reads defined values.
        for (int s = 0; s < seq; s++) {
            int k = base + s * stride + dim + h * hd;
            for (int i = 0; i < hd; i++) buf[i * seqPad + s] = qkv[k + i];
        }
        for (int i = 0; i < hd; i++) for (int s = seq; s < seqPad; s++) buf[i * seqPad + s] = 0;

        for (int t = 0; t < seq; t++) {
            int len = causal ? t + 1 : seq;
            int q = base + t * stride + h * hd;
            for (int s0 = 0; s0 < len; s0 += VL) scoreVector(qkv, q, buf, s0, seqPad, hd).intoArray(buf, scores + s0);
            Ops.softmax(buf, scores, len, scale);
            weightValues(qkv, base + 2 * dim + h * hd, stride, buf, scores, len, out, outOff + (b * seq + t) * dim + h * hd, hd);
        }
    }

    /** Σ_i q[i] · kt[i, s0..s0+VL), with four independent FMA chains to hide latency. */
    private static FloatVector scoreVector(float[] qkv, int q, float[] kt, int s0, int seqPad, int hd) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 <= hd; i += 4) {
            int o = i * seqPad + s0;
            a0 = FloatVector.fromArray(S, kt, o).fma(FloatVector.broadcast(S, qkv[q + i]), a0);
            a1 = FloatVector.fromArray(S, kt, o + seqPad).fma(FloatVector.broadcast(S, qkv[q + i + 1]), a1);
            a2 = FloatVector.fromArray(S, kt, o + 2 * seqPad).fma(FloatVector.broadcast(S, qkv[q + i + 2]), a2);
            a3 = FloatVector.fromArray(S, kt, o + 3 * seqPad).fma(FloatVector.broadcast(S, qkv[q + i + 3]), a3);
        }
        for (; i < hd; i++) a0 = FloatVector.fromArray(S, kt, i * seqPad + s0).fma(FloatVector.broadcast(S, qkv[q + i]), a0);
        return a0.add(a1).add(a2.add(a3));
    }

    /** out[0..hd) = Σ_{s<len} p[s] · V[s, :], V rows at v0 + s·stride. */
    private static void weightValues(float[] qkv, int v0, int stride, float[] p, int pOff, int len, float[] out, int o, int hd) {
        for (int c = 0; c < hd; c += VL) {
            VectorMask<Float> m = S.indexInRange(c, hd);
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            int s = 0;
            for (; s + 2 <= len; s += 2) {
                a0 = FloatVector.fromArray(S, qkv, v0 + s * stride + c, m).fma(FloatVector.broadcast(S, p[pOff + s]), a0);
                a1 = FloatVector.fromArray(S, qkv, v0 + (s + 1) * stride + c, m).fma(FloatVector.broadcast(S, p[pOff + s + 1]), a1);
            }
            if (s < len) a0 = FloatVector.fromArray(S, qkv, v0 + s * stride + c, m).fma(FloatVector.broadcast(S, p[pOff + s]), a0);
            a0.add(a1).intoArray(out, o + c, m);
        }
    }
}
