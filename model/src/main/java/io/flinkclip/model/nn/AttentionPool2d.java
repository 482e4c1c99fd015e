package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.Parallel;

/**
 * CLIP's attention pooling: tokens = [spatial mean; pixels] + positional embedding, one multi-head attention
 * layer with separate q/k/v projections, and the output of the mean token (the only query OpenAI keeps)
 * through c_proj. Only the mean token's query is projected; the [q | k | v] rows {@link Ops#attention} reads
 * get zero queries for the pixel tokens, whose outputs are never used.
 *
 * <p>Inference never projects the tokens ({@link InputWidthAttention}): RN50 15 M multiply-adds per image
 * instead of the 420 M of projecting 50 tokens through k_proj and v_proj (a tenth of the image encoder).
 */
public final class AttentionPool2d {
    final String name;
    final int spatial, tokens, channels, heads, outDim;
    final float[] positionalEmbedding;
    final Linear q, k, v, cProj;
    /** Inference only (else null): the mean token's attention over the raw tokens. */
    final InputWidthAttention attention;

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
            WeightValues wk = p.weight(name + ".k_proj.weight", channels, channels), wv = p.weight(name + ".v_proj.weight", channels, channels);
            p.get(name + ".k_proj.bias", channels); // validated, not needed (see InputWidthAttention)
            attention = new InputWidthAttention(p, wk, 0, wv, 0, p.get(name + ".v_proj.bias", channels), 0, channels, heads);
            for (String t : new String[] {".k_proj.weight", ".k_proj.bias", ".v_proj.weight", ".v_proj.bias"}) p.release(name + t);
            k = v = null;
        } else {
            k = new Linear(p, name + ".k_proj", channels, channels, true);
            v = new Linear(p, name + ".v_proj", channels, channels, true);
            attention = null;
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
        int hw = spatial * spatial, c = channels, t = tokens;
        float[] tok = arena.take(n * t * c), mean = arena.take(n * c);
        // Tasks of one item's channel range, so one image still uses every thread (RN50, one image: 0.17–0.19 ms
        // as one task per item, 0.13 in 256-channel tasks).
        int chunk = Math.min(c, 256), chunks = (c + chunk - 1) / chunk;
        Parallel.forEach(n * chunks, 1, task -> {
            int b = task / chunks, c0 = (task % chunks) * chunk, c1 = Math.min(c, c0 + chunk), base = b * t * c;
            double[] sum = new double[c1 - c0];
            for (int s = 0; s < hw; s++) {
                int src = (b * hw + s) * c, dst = base + (1 + s) * c, pos = (1 + s) * c;
                for (int ch = c0; ch < c1; ch++) {
                    float val = x[src + ch];
                    sum[ch - c0] += val;
                    tok[dst + ch] = val + positionalEmbedding[pos + ch];
                }
            }
            for (int ch = c0; ch < c1; ch++) {
                tok[base + ch] = (float) (sum[ch - c0] / hw) + positionalEmbedding[ch];
                mean[b * c + ch] = tok[base + ch];
            }
        });
        float[] qOut = arena.take(n * c), pooled = arena.take(n * c);
        q.forward(mean, 0, qOut, 0, n, false);
        int[] lengths = new int[n];
        java.util.Arrays.fill(lengths, t);
        long t0 = LayerTimes.start();
        attention.attend(qOut, tok, t, lengths, n, pooled, arena);
        LayerTimes.stop(name + ".attention", t0);
        float[] out = new float[n * outDim];
        cProj.forward(pooled, 0, out, 0, n, false);
        return out;
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
