package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.Parallel;

/**
 * CLIP's attention pooling: tokens = [spatial mean; pixels] + positional embedding, one multi-head attention
 * layer with separate q/k/v projections, and the output of the mean token (the only query OpenAI keeps)
 * through c_proj. Only the mean token's query is projected; the [q | k | v] rows {@link Ops#attention} reads
 * get zero queries for the pixel tokens, whose outputs are never used.
 *
 * <p>Inference never projects the tokens. With one query per head, q·(W_k x + b_k) = (W_kᵀ q)·x + q·b_k, where
 * q·b_k shifts all of the head's scores alike and cancels in the softmax, and Σ_s p_s (W_v x_s + b_v) =
 * W_v (Σ_s p_s x_s) + b_v (the p_s sum to 1). So per image and head it maps the query back to the input width
 * once, scores the raw tokens, averages them with the softmax weights and projects the average: about 4·C² + 2·heads·t·C multiply-adds per image instead of the 2·t·C² of projecting t tokens
 * (RN50: 15 M instead of 420 M, a tenth of the whole image encoder's work).
 */
public final class AttentionPool2d {
    final String name;
    final int spatial, tokens, channels, heads, outDim;
    final float[] positionalEmbedding;
    final Linear q, k, v, cProj;
    /**
     * Inference only (else null), per head h: W_k's rows h·hd .. (h+1)·hd − 1 as a [hd × C] operand (maps the
     * head's query to the input width), and W_v's same rows as an nn.Linear [hd, C] operand with its bias slice.
     */
    final PackedMatrix[] keyRows, valueRows;
    final float[][] valueBias;

    AttentionPool2d(Params p, String name, int spatial, int channels, int heads, int outDim) {
        if (heads <= 0 || channels % heads != 0) {
            throw new ClipFormatException(name + ": width " + channels + " is not divisible by " + heads + " heads");
        }
        this.name = name;
        this.spatial = spatial;
        this.tokens = spatial * spatial + 1;
        this.channels = channels;
        this.heads = heads;
        this.outDim = outDim;
        positionalEmbedding = p.get(name + ".positional_embedding", tokens, channels);
        q = new Linear(p, name + ".q_proj", channels, channels, true);
        if (p.inference()) {
            int hd = channels / heads;
            float[] wk = p.get(name + ".k_proj.weight", channels, channels), wv = p.get(name + ".v_proj.weight", channels, channels);
            float[] bv = p.get(name + ".v_proj.bias", channels);
            p.get(name + ".k_proj.bias", channels); // validated, not needed: q·b_k shifts a head's scores alike
            keyRows = new PackedMatrix[heads];
            valueRows = new PackedMatrix[heads];
            valueBias = new float[heads][];
            for (int h = 0; h < heads; h++) {
                keyRows[h] = p.packed(PackedMatrix.fromRowsKN(wk, h * hd * channels, hd, channels));
                valueRows[h] = p.packed(PackedMatrix.fromRowsNK(wv, h * hd * channels, hd, channels));
                valueBias[h] = java.util.Arrays.copyOfRange(bv, h * hd, (h + 1) * hd);
            }
            for (String t : new String[] {".k_proj.weight", ".k_proj.bias", ".v_proj.weight", ".v_proj.bias"}) p.release(name + t);
            k = v = null;
        } else {
            k = new Linear(p, name + ".k_proj", channels, channels, true);
            v = new Linear(p, name + ".v_proj", channels, channels, true);
            keyRows = valueRows = null;
            valueBias = null;
        }
        cProj = new Linear(p, name + ".c_proj", channels, outDim, true);
    }

    static final class Cache {
        int n;
        float[] tokens, mean, qkv, pooled;
    }

    /** x [n, C, spatial, spatial] → [n, outDim]. */
    float[] forward(float[] x, int n, Arena arena, Cache cache) {
        int hw = spatial * spatial, c = channels, t = tokens;
        float[] tok = arena.take(n * t * c), mean = arena.take(n * c);
        for (int b = 0; b < n; b++) {
            int base = b * t * c;
            for (int ch = 0; ch < c; ch++) {
                int src = (b * c + ch) * hw;
                double sum = 0;
                for (int s = 0; s < hw; s++) {
                    float val = x[src + s];
                    sum += val;
                    tok[base + (1 + s) * c + ch] = val + positionalEmbedding[(1 + s) * c + ch];
                }
                tok[base + ch] = (float) (sum / hw) + positionalEmbedding[ch];
            }
            System.arraycopy(tok, base, mean, b * c, c);
        }
        float[] qOut = arena.take(n * c), kOut = arena.take(n * t * c), vOut = arena.take(n * t * c);
        q.forward(mean, 0, qOut, 0, n, false);
        k.forward(tok, 0, kOut, 0, n * t, false);
        v.forward(tok, 0, vOut, 0, n * t, false);
        float[] qkv = arena.take(n * t * 3 * c); // zero queries except each image's mean token
        for (int b = 0; b < n; b++) {
            System.arraycopy(qOut, b * c, qkv, b * t * 3 * c, c);
            for (int s = 0; s < t; s++) {
                int row = (b * t + s);
                System.arraycopy(kOut, row * c, qkv, row * 3 * c + c, c);
                System.arraycopy(vOut, row * c, qkv, row * 3 * c + 2 * c, c);
            }
        }
        float[] attn = arena.take(n * t * c);
        Ops.attention(qkv, 0, attn, 0, n, t, c, heads, false);
        float[] pooled = arena.take(n * c);
        for (int b = 0; b < n; b++) System.arraycopy(attn, b * t * c, pooled, b * c, c);
        float[] out = new float[n * outDim];
        cProj.forward(pooled, 0, out, 0, n, false);
        if (cache != null) {
            cache.n = n; cache.tokens = tok; cache.mean = mean; cache.qkv = qkv; cache.pooled = pooled;
        }
        return out;
    }

    /**
     * Inference forward on an NHWC map x [n, spatial², C] (already token-major): the mean token's query only (the
     * one OpenAI keeps), attending through the input-width form of the class comment.
     */
    float[] forwardNhwc(float[] x, int n, Arena arena) {
        int hw = spatial * spatial, c = channels, t = tokens, hd = c / heads;
        float[] tok = arena.take(n * t * c), mean = arena.take(n * c);
        Parallel.forEach(n, 1, b -> {
            int base = b * t * c;
            double[] sum = new double[c];
            for (int s = 0; s < hw; s++) {
                int src = (b * hw + s) * c, dst = base + (1 + s) * c, pos = (1 + s) * c;
                for (int ch = 0; ch < c; ch++) {
                    float val = x[src + ch];
                    sum[ch] += val;
                    tok[dst + ch] = val + positionalEmbedding[pos + ch];
                }
            }
            for (int ch = 0; ch < c; ch++) tok[base + ch] = (float) (sum[ch] / hw) + positionalEmbedding[ch];
            System.arraycopy(tok, base, mean, b * c, c);
        });
        float[] qOut = arena.take(n * c);
        q.forward(mean, 0, qOut, 0, n, false);
        // keys[b, h, :] = W_k[h]ᵀ q_bh: the head's query at the input width.
        // One task per head: at batch 1 each is a one-row product over a 64×C slice of weights, too small to split.
        float[] keys = arena.take(n * heads * c);
        Parallel.forEach(heads, 1, h -> {
            float[] qh = new float[n * hd], kh = new float[n * c];
            for (int b = 0; b < n; b++) System.arraycopy(qOut, b * c + h * hd, qh, b * hd, hd);
            Gemm.packed(qh, 0, keyRows[h], null, kh, 0, n, false, Epilogue.NONE);
            for (int b = 0; b < n; b++) System.arraycopy(kh, b * c, keys, (b * heads + h) * c, c);
        });
        // Per image: scores over the raw tokens, softmax, and the weighted token average avg[b, h, :].
        float[] avg = arena.take(n * heads * c);
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(n, 1, b -> {
            float[] scores = new float[heads * t];
            Gemm.nt(keys, b * heads * c, tok, b * t * c, null, scores, 0, heads, t, c, false);
            for (int h = 0; h < heads; h++) softmaxInPlace(scores, h * t, t, scale);
            Gemm.nn(scores, 0, tok, b * t * c, avg, b * heads * c, heads, c, t, false);
        });
        // pooled[b, h·hd + d] = W_v[h·hd + d, :] · avg[b, h, :] + b_v[h·hd + d].
        float[] pooled = arena.take(n * c);
        Parallel.forEach(heads, 1, h -> {
            float[] ah = new float[n * c], ph = new float[n * hd];
            for (int b = 0; b < n; b++) System.arraycopy(avg, (b * heads + h) * c, ah, b * c, c);
            Gemm.packed(ah, 0, valueRows[h], valueBias[h], ph, 0, n, false, Epilogue.NONE);
            for (int b = 0; b < n; b++) System.arraycopy(ph, b * hd, pooled, b * c + h * hd, hd);
        });
        float[] out = new float[n * outDim];
        cProj.forward(pooled, 0, out, 0, n, false);
        return out;
    }

    /** x[o, o + len) ← softmax(scale · x), in double (len is the token count: tens). */
    private static void softmaxInPlace(float[] x, int o, int len, float scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) max = Math.max(max, (double) scale * x[o + i]);
        double sum = 0;
        double[] e = new double[len];
        for (int i = 0; i < len; i++) sum += e[i] = Math.exp((double) scale * x[o + i] - max);
        for (int i = 0; i < len; i++) x[o + i] = (float) (e[i] / sum);
    }

    /** d(pooled features) [n, outDim] → d(input map) [n, C, spatial, spatial]; accumulates gradients. */
    float[] backward(Cache c, float[] dOut, Arena arena, Gradients g) {
        int n = c.n, t = tokens, ch = channels, hw = spatial * spatial;
        float[] dPooled = arena.take(n * ch);
        Backprop.linear(cProj, c.pooled, dOut, n, dPooled, false, g);
        float[] dAttn = arena.take(n * t * ch); // only the mean token's output was used
        for (int b = 0; b < n; b++) System.arraycopy(dPooled, b * ch, dAttn, b * t * ch, ch);
        float[] dqkv = arena.take(n * t * 3 * ch);
        Backprop.attention(c.qkv, dAttn, dqkv, n, t, ch, heads, false);
        float[] dq = arena.take(n * ch), dk = arena.take(n * t * ch), dv = arena.take(n * t * ch);
        for (int b = 0; b < n; b++) {
            System.arraycopy(dqkv, b * t * 3 * ch, dq, b * ch, ch);
            for (int s = 0; s < t; s++) {
                int row = b * t + s;
                System.arraycopy(dqkv, row * 3 * ch + ch, dk, row * ch, ch);
                System.arraycopy(dqkv, row * 3 * ch + 2 * ch, dv, row * ch, ch);
            }
        }
        float[] dTok = arena.take(n * t * ch), dMean = arena.take(n * ch);
        Backprop.linear(k, c.tokens, dk, n * t, dTok, false, g);
        Backprop.linear(v, c.tokens, dv, n * t, dTok, true, g);
        Backprop.linear(q, c.mean, dq, n, dMean, false, g);
        float[] gPos = g.of(name + ".positional_embedding", t, ch);
        float[] dx = arena.take(n * ch * hw);
        for (int b = 0; b < n; b++) {
            int base = b * t * ch;
            for (int i = 0; i < ch; i++) dTok[base + i] += dMean[b * ch + i];
            for (int i = 0; i < t * ch; i++) gPos[i] += dTok[base + i];
            for (int c2 = 0; c2 < ch; c2++) {
                float fromMean = dTok[base + c2] / hw;
                for (int s = 0; s < hw; s++) dx[(b * ch + c2) * hw + s] = dTok[base + (1 + s) * ch + c2] + fromMean;
            }
        }
        return dx;
    }
}
