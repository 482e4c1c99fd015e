package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Ops;

/**
 * CLIP's attention pooling: tokens = [spatial mean; pixels] + positional embedding, one multi-head attention
 * layer with separate q/k/v projections, and the output of the mean token (the only query OpenAI keeps)
 * through c_proj. q, k and v are fused into one [3C, C] projection at load time so {@link Ops#attention}
 * can run it; the extra queries it computes for the pixel tokens do not influence the mean token's output.
 */
public final class AttentionPool2d {
    final String name;
    final int spatial, tokens, channels, heads, outDim;
    final float[] positionalEmbedding;
    final Linear q, k, v, qkv, cProj;

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
        k = new Linear(p, name + ".k_proj", channels, channels, true);
        v = new Linear(p, name + ".v_proj", channels, channels, true);
        cProj = new Linear(p, name + ".c_proj", channels, outDim, true);
        int cc = channels * channels;
        float[] w = new float[3 * cc], b = new float[3 * channels];
        System.arraycopy(q.weight, 0, w, 0, cc);
        System.arraycopy(k.weight, 0, w, cc, cc);
        System.arraycopy(v.weight, 0, w, 2 * cc, cc);
        System.arraycopy(q.bias, 0, b, 0, channels);
        System.arraycopy(k.bias, 0, b, channels, channels);
        System.arraycopy(v.bias, 0, b, 2 * channels, channels);
        qkv = new Linear(name + ".qkv", null, null, channels, 3 * channels, w, b);
    }

    static final class Cache {
        int n;
        float[] tokens, qkv, attn, pooled;
    }

    /** x [n, C, spatial, spatial] → [n, outDim]. */
    float[] forward(float[] x, int n, Arena arena, Cache cache) {
        int hw = spatial * spatial, c = channels, t = tokens;
        float[] tok = arena.take(n * t * c);
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
        }
        float[] qkvOut = arena.take(n * t * 3 * c);
        qkv.forward(tok, 0, qkvOut, 0, n * t, false);
        float[] attn = arena.take(n * t * c);
        Ops.attention(qkvOut, 0, attn, 0, n, t, c, heads, false);
        float[] pooled = arena.take(n * c);
        for (int b = 0; b < n; b++) System.arraycopy(attn, b * t * c, pooled, b * c, c);
        float[] out = new float[n * outDim];
        cProj.forward(pooled, 0, out, 0, n, false);
        if (cache != null) {
            cache.n = n; cache.tokens = tok; cache.qkv = qkvOut; cache.attn = attn; cache.pooled = pooled;
        }
        return out;
    }

    /** d(pooled features) [n, outDim] → d(input map) [n, C, spatial, spatial]; accumulates gradients. */
    float[] backward(Cache c, float[] dOut, Arena arena, Gradients g) {
        int n = c.n, t = tokens, ch = channels, hw = spatial * spatial, cc = ch * ch;
        float[] dPooled = arena.take(n * ch);
        Backprop.linear(cProj, c.pooled, dOut, n, dPooled, false, g);
        float[] dAttn = arena.take(n * t * ch); // only the mean token was used
        for (int b = 0; b < n; b++) System.arraycopy(dPooled, b * ch, dAttn, b * t * ch, ch);
        float[] dqkv = arena.take(n * t * 3 * ch);
        Backprop.attention(c.qkv, dAttn, dqkv, n, t, ch, heads, false);
        float[] gW = new float[3 * cc], gB = new float[3 * ch];
        float[] dTok = arena.take(n * t * ch);
        Backprop.linear(qkv, c.tokens, 0, dqkv, 0, n * t, dTok, 0, false, gW, gB);
        Linear[] parts = {q, k, v};
        for (int i = 0; i < 3; i++) {
            float[] w = g.of(parts[i].weightName, ch, ch), bias = g.of(parts[i].biasName, ch);
            for (int j = 0; j < cc; j++) w[j] += gW[i * cc + j];
            for (int j = 0; j < ch; j++) bias[j] += gB[i * ch + j];
        }
        float[] gPos = g.of(name + ".positional_embedding", t, ch);
        float[] dx = arena.take(n * ch * hw);
        for (int b = 0; b < n; b++) {
            int base = b * t * ch;
            for (int i = 0; i < t * ch; i++) gPos[i] += dTok[base + i];
            for (int c2 = 0; c2 < ch; c2++) {
                float fromMean = dTok[base + c2] / hw;
                for (int s = 0; s < hw; s++) dx[(b * ch + c2) * hw + s] = dTok[base + (1 + s) * ch + c2] + fromMean;
            }
        }
        return dx;
    }
}
