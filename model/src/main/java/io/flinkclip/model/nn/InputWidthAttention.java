package io.flinkclip.model.nn;

import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.Parallel;
import io.flinkclip.kernels.RowProducts;

/**
 * Multi-head attention of one query per item, computed without projecting the tokens to keys and values. Per head h,
 * q·(W_k x + b_k) = (W_kᵀ q)·x + q·b_k, where q·b_k shifts all of the head's scores alike and cancels in the softmax,
 * and Σ_s p_s (W_v x_s + b_v) = W_v (Σ_s p_s x_s) + b_v since the p_s sum to 1. So the query is mapped to the input
 * width once, the raw tokens are scored and averaged with the softmax weights, and the average is projected:
 * about 4·C² + 2·heads·t·C multiply-adds per item instead of the 2·t·C² of projecting t tokens. Used by the ResNet's
 * attention pool (the mean token's query). Measured and not used for a transformer's last block (its class or EOT
 * token): ViT-B/32 batch 32 +2–5 %, but batch 1 −6.5 % (29.80 → 31.42 and 22.60 → 21.13 images/s, 3 pairs each;
 * at width 768 the per-head one-row products cost more than the 50-row q|k|v GEMM they replace), and one path
 * must serve every batch size so that an item's result does not depend on its batch.
 */
final class InputWidthAttention {
    private final int width, heads, hd;
    /** Per head: W_k's rows h·hd .. (h+1)·hd − 1 as a [hd × C] operand, W_v's same rows as nn.Linear [hd, C], b_v's slice. */
    private final PackedMatrix[] keyRows, valueRows;
    private final float[][] valueBias;

    /** W_k = wk[wkOff ..] and W_v = wv[wvOff ..] as [C, C] row-major (nn.Linear [out, in]), b_v = bv[bvOff ..]. */
    InputWidthAttention(Params p, WeightValues wk, int wkOff, WeightValues wv, int wvOff, float[] bv, int bvOff, int width, int heads) {
        this.width = width;
        this.heads = heads;
        this.hd = width / heads;
        keyRows = new PackedMatrix[heads];
        valueRows = new PackedMatrix[heads];
        valueBias = new float[heads][];
        for (int h = 0; h < heads; h++) {
            keyRows[h] = p.packed(wk.packKN(wkOff + h * hd * width, hd, width));
            valueRows[h] = p.packed(wv.packNK(wvOff + h * hd * width, hd, width));
            valueBias[h] = java.util.Arrays.copyOfRange(bv, bvOff + h * hd, bvOff + (h + 1) * hd);
        }
    }

    /**
     * out[b, :] = the attention output of item b's query q[b, :] (already projected, with its bias) over its tokens
     * x[(b·seq + s)·C ..] for s < lengths[b]. The per-item keys and token averages come from {@code arena}.
     */
    void attend(float[] q, float[] x, int seq, int[] lengths, int batch, float[] out, Arena arena) {
        int c = width;
        // keys[b, h, :] = W_k[h]ᵀ q_bh. One task per head: at batch 1 each is a one-row product over a hd×C slice.
        float[] keys = arena.takeDirty(batch * heads * c);
        Parallel.forEach(heads, 1, h -> {
            float[] qh = new float[batch * hd], kh = new float[batch * c];
            for (int b = 0; b < batch; b++) System.arraycopy(q, b * c + h * hd, qh, b * hd, hd);
            Gemm.packed(qh, 0, keyRows[h], null, kh, 0, batch, false, Epilogue.NONE);
            for (int b = 0; b < batch; b++) System.arraycopy(kh, b * c, keys, (b * heads + h) * c, c);
        });
        // Per item and group of heads: scores over the raw tokens, softmax, and the weighted token average
        // avg[b, h, :]. Few items are split into head groups so that every thread has work.
        float[] avg = arena.takeDirty(batch * heads * c);
        float scale = (float) (1.0 / Math.sqrt(hd));
        int group = batch >= 2 * Parallel.THREADS ? heads : Math.max(4, heads / (2 * Parallel.THREADS) / 4 * 4);
        int groups = (heads + group - 1) / group;
        Parallel.forEach(batch * groups, 1, task -> {
            int b = task / groups, h0 = task % groups * group, hs = Math.min(group, heads - h0), len = lengths[b];
            float[] scores = new float[hs * len];
            RowProducts.dots(keys, (b * heads + h0) * c, hs, x, b * seq * c, len, c, scores, 0);
            for (int h = 0; h < hs; h++) softmaxInPlace(scores, h * len, len, scale);
            RowProducts.weightedSums(scores, 0, hs, x, b * seq * c, len, c, avg, (b * heads + h0) * c);
        });
        // out[b, h·hd + d] = W_v[h·hd + d, :] · avg[b, h, :] + b_v[h·hd + d].
        Parallel.forEach(heads, 1, h -> {
            float[] ah = new float[batch * c], ph = new float[batch * hd];
            for (int b = 0; b < batch; b++) System.arraycopy(avg, (b * heads + h) * c, ah, b * c, c);
            Gemm.packed(ah, 0, valueRows[h], valueBias[h], ph, 0, batch, false, Epilogue.NONE);
            for (int b = 0; b < batch; b++) System.arraycopy(ph, b * hd, out, b * c + h * hd, hd);
        });
        arena.release(keys);
        arena.release(avg);
    }

    /** x[o, o + len) ← softmax(scale · x), in double (len is a token count: tens). */
    private static void softmaxInPlace(float[] x, int o, int len, float scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) max = Math.max(max, (double) scale * x[o + i]);
        double sum = 0;
        double[] e = new double[len];
        for (int i = 0; i < len; i++) sum += e[i] = Math.exp((double) scale * x[o + i] - max);
        for (int i = 0; i < len; i++) x[o + i] = (float) (e[i] / sum);
    }
}
