package io.flinkclip.training.vit;

import io.flinkclip.io.StateDict;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.backward.Activations;
import io.flinkclip.kernels.backward.AttentionBackward;
import io.flinkclip.kernels.backward.LayerNormTrain;
import io.flinkclip.kernels.backward.LinearBackward;

/**
 * A stack of CLIP residual attention blocks (pre-LN, QuickGELU MLP) over [B·L, D] rows, forward with optional
 * saved activations and backward into a gradient StateDict — built only from the backward kernels, as a test
 * reference for wiring them (not a product network).
 */
final class Blocks {
    private static final float EPS = 1e-5f;
    private final StateDict p, g;
    private final String prefix;
    private final int layers, d, heads;
    private final boolean causal;
    private float[][] xIn, h1, m1, s1, qkv, probs, att, xMid, h2, m2, s2, pre, act;
    private int b, l;

    Blocks(StateDict params, StateDict grads, String prefix, int layers, int width, int heads, boolean causal) {
        this.p = params; this.g = grads; this.prefix = prefix; this.layers = layers; this.d = width; this.heads = heads; this.causal = causal;
    }

    private float[] w(int i, String n) { return p.get(prefix + "resblocks." + i + "." + n).data(); }

    private float[] dw(int i, String n) { return g.get(prefix + "resblocks." + i + "." + n).data(); }

    float[] forward(float[] x, int batch, int len, boolean keep) {
        int r = batch * len;
        if (keep) {
            b = batch; l = len;
            xIn = new float[layers][]; h1 = new float[layers][]; m1 = new float[layers][]; s1 = new float[layers][];
            qkv = new float[layers][]; probs = new float[layers][]; att = new float[layers][]; xMid = new float[layers][];
            h2 = new float[layers][]; m2 = new float[layers][]; s2 = new float[layers][]; pre = new float[layers][]; act = new float[layers][];
        }
        for (int i = 0; i < layers; i++) {
            float[] mean1 = new float[r], rstd1 = new float[r], hh = new float[r * d];
            LayerNormTrain.forward(x, 0, w(i, "ln_1.weight"), w(i, "ln_1.bias"), hh, 0, mean1, rstd1, 0, r, d, EPS);
            float[] q = new float[r * 3 * d];
            Gemm.nt(hh, 0, w(i, "attn.in_proj_weight"), 0, w(i, "attn.in_proj_bias"), q, 0, r, 3 * d, d, false);
            float[] a = new float[r * d];
            float[] pr = keep ? new float[batch * heads * len * len] : null;
            AttentionBackward.forward(AttentionBackward.packedQ(q, 0, d), AttentionBackward.packedK(q, 0, d),
                    AttentionBackward.packedV(q, 0, d), a, 0, pr, batch, len, len, d, heads, causal);
            float[] mid = x.clone();
            Gemm.nt(a, 0, w(i, "attn.out_proj.weight"), 0, w(i, "attn.out_proj.bias"), mid, 0, r, d, d, true);
            float[] mean2 = new float[r], rstd2 = new float[r], hh2 = new float[r * d];
            LayerNormTrain.forward(mid, 0, w(i, "ln_2.weight"), w(i, "ln_2.bias"), hh2, 0, mean2, rstd2, 0, r, d, EPS);
            int f = 4 * d;
            float[] fp = new float[r * f];
            Gemm.nt(hh2, 0, w(i, "mlp.c_fc.weight"), 0, w(i, "mlp.c_fc.bias"), fp, 0, r, f, d, false);
            float[] fa = fp.clone();
            Ops.quickGelu(fa, 0, fa.length);
            float[] y = mid.clone();
            Gemm.nt(fa, 0, w(i, "mlp.c_proj.weight"), 0, w(i, "mlp.c_proj.bias"), y, 0, r, d, f, true);
            if (keep) {
                xIn[i] = x; h1[i] = hh; m1[i] = mean1; s1[i] = rstd1; qkv[i] = q; probs[i] = pr; att[i] = a; xMid[i] = mid;
                h2[i] = hh2; m2[i] = mean2; s2[i] = rstd2; pre[i] = fp; act[i] = fa;
            }
            x = y;
        }
        return x;
    }

    float[] backward(float[] dy) {
        if (xIn == null) throw new IllegalStateException("no saved activations");
        int r = b * l, f = 4 * d;
        for (int i = layers - 1; i >= 0; i--) {
            float[] dMid = dy.clone();
            float[] dAct = new float[r * f], dPre = new float[r * f], dh2 = new float[r * d];
            LinearBackward.linear(dy, 0, act[i], 0, w(i, "mlp.c_proj.weight"), 0, dAct, 0, dw(i, "mlp.c_proj.weight"), 0,
                    dw(i, "mlp.c_proj.bias"), 0, r, f, d);
            Activations.quickGeluBackward(pre[i], 0, dAct, 0, dPre, 0, dPre.length, false);
            LinearBackward.linear(dPre, 0, h2[i], 0, w(i, "mlp.c_fc.weight"), 0, dh2, 0, dw(i, "mlp.c_fc.weight"), 0,
                    dw(i, "mlp.c_fc.bias"), 0, r, d, f);
            LayerNormTrain.backward(dh2, 0, xMid[i], 0, m2[i], s2[i], 0, w(i, "ln_2.weight"), dMid, 0, dw(i, "ln_2.weight"), dw(i, "ln_2.bias"), r, d);
            float[] dx = dMid.clone();
            float[] dAtt = new float[r * d], dq = new float[r * 3 * d], dh1 = new float[r * d];
            LinearBackward.linear(dMid, 0, att[i], 0, w(i, "attn.out_proj.weight"), 0, dAtt, 0, dw(i, "attn.out_proj.weight"), 0,
                    dw(i, "attn.out_proj.bias"), 0, r, d, d);
            float[] q = qkv[i];
            AttentionBackward.backward(AttentionBackward.packedQ(q, 0, d), AttentionBackward.packedK(q, 0, d), AttentionBackward.packedV(q, 0, d),
                    dAtt, 0, probs[i], AttentionBackward.packedQ(dq, 0, d), AttentionBackward.packedK(dq, 0, d),
                    AttentionBackward.packedV(dq, 0, d), b, l, l, d, heads, causal);
            LinearBackward.linear(dq, 0, h1[i], 0, w(i, "attn.in_proj_weight"), 0, dh1, 0, dw(i, "attn.in_proj_weight"), 0,
                    dw(i, "attn.in_proj_bias"), 0, r, d, 3 * d);
            LayerNormTrain.backward(dh1, 0, xIn[i], 0, m1[i], s1[i], 0, w(i, "ln_1.weight"), dx, 0, dw(i, "ln_1.weight"), dw(i, "ln_1.bias"), r, d);
            dy = dx;
        }
        xIn = null;
        return dy;
    }
}
