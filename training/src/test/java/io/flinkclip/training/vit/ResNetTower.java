package io.flinkclip.training.vit;

import io.flinkclip.io.StateDict;
import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.backward.Activations;
import io.flinkclip.kernels.backward.AttentionBackward;
import io.flinkclip.kernels.backward.AttentionPoolBackward;
import io.flinkclip.kernels.backward.BatchNormBackward;
import io.flinkclip.kernels.backward.ConvBackward;
import io.flinkclip.kernels.backward.EmbeddingBackward;
import io.flinkclip.kernels.backward.LinearBackward;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * OpenAI's ModifiedResNet image tower in eval mode (BatchNorm with running statistics, as the reference gradients),
 * from the kernels: 3-conv stem + avgpool 2, one-or-more Bottlenecks per stage with anti-aliasing avgpool, and the
 * attention pool (mean token as the only query). Backward replays a tape of closures in reverse.
 */
final class ResNetTower {
    private static final float EPS = 1e-5f;
    private final StateDict p, g;
    private final int[] layers;
    private final int width, heads, embed;
    private final Deque<Runnable> tape = new ArrayDeque<>();
    private float[] grad;   // gradient w.r.t. the current activation during backward

    ResNetTower(StateDict p, StateDict g, int[] layers, int width, int embed) {
        this.p = p; this.g = g; this.layers = layers; this.width = width; this.embed = embed;
        this.heads = width * 32 / 64;
    }

    /** A feature map and its shape. */
    record Map(float[] x, int c, int h, int w) {}

    private float[] w(String n) { return p.get(n).data(); }

    private float[] dw(String n) { return g.get(n).data(); }

    /** conv (no bias) → eval BatchNorm → optional ReLU. needDx=false for the pixel input. */
    private Map convBn(Map in, int n, String conv, String bn, int stride, int pad, boolean relu, boolean keep, boolean needDx) {
        int outC = p.get(conv).dim(0), k = p.get(conv).dim(2);
        int oh = (in.h() + 2 * pad - k) / stride + 1, ow = (in.w() + 2 * pad - k) / stride + 1;
        float[] z = new float[n * outC * oh * ow];
        Conv.conv2d(in.x(), n, in.c(), in.h(), in.w(), w(conv), null, outC, k, k, stride, pad, z);
        float[] y = z.clone();
        Conv.batchNorm(y, n, outC, oh * ow, w(bn + ".running_mean"), w(bn + ".running_var"), w(bn + ".weight"), w(bn + ".bias"), EPS, relu);
        if (keep) {
            tape.push(() -> {
                float[] dy = grad;
                if (relu) { float[] d = new float[dy.length]; Activations.reluBackward(y, 0, dy, 0, d, 0, dy.length, false); dy = d; }
                float[] dz = new float[z.length];
                BatchNormBackward.evalBackward(z, dy, n, outC, oh * ow, w(bn + ".running_mean"), w(bn + ".running_var"), w(bn + ".weight"),
                        EPS, dz, dw(bn + ".weight"), dw(bn + ".bias"));
                float[] dx = needDx ? new float[in.x().length] : null;
                ConvBackward.conv2d(in.x(), n, in.c(), in.h(), in.w(), w(conv), outC, k, k, stride, pad, dz, dx, dw(conv), null);
                grad = dx;
            });
        }
        return new Map(y, outC, oh, ow);
    }

    private Map avgPool(Map in, int n, int k, boolean keep) {
        float[] y = new float[n * in.c() * (in.h() / k) * (in.w() / k)];
        Conv.avgPool(in.x(), n, in.c(), in.h(), in.w(), k, y);
        if (keep) tape.push(() -> {
            float[] dx = new float[in.x().length];
            ConvBackward.avgPool(grad, n, in.c(), in.h(), in.w(), k, dx);
            grad = dx;
        });
        return new Map(y, in.c(), in.h() / k, in.w() / k);
    }

    private Map bottleneck(Map in, int n, String pre, int stride, boolean keep) {
        // Tape (LIFO) order: MERGE, identity-branch ops, SWITCH, main-branch ops, RELU. Backward then runs the relu,
        // the main branch, SWITCH (park the main branch's input gradient, restart from d(sum)), the identity branch,
        // and MERGE (add the parked gradient).
        float[][] dSum = new float[1][], parked = new float[1][];
        if (keep) tape.push(() -> {
            float[] dx = grad.clone();
            for (int i = 0; i < dx.length; i++) dx[i] += parked[0][i];
            grad = dx;
        });
        Map identity = in;
        if (p.has(pre + "downsample.0.weight")) {
            Map a = stride > 1 ? avgPool(in, n, stride, keep) : in;
            identity = convBn(a, n, pre + "downsample.0.weight", pre + "downsample.1", 1, 0, false, keep, true);
        }
        if (keep) tape.push(() -> { parked[0] = grad; grad = dSum[0]; });
        Map o = convBn(in, n, pre + "conv1.weight", pre + "bn1", 1, 0, true, keep, true);
        o = convBn(o, n, pre + "conv2.weight", pre + "bn2", 1, 1, true, keep, true);
        if (stride > 1) o = avgPool(o, n, stride, keep);
        o = convBn(o, n, pre + "conv3.weight", pre + "bn3", 1, 0, false, keep, true);
        float[] id = identity.x();
        float[] y = o.x().clone();
        for (int i = 0; i < y.length; i++) y[i] = Math.max(0f, y[i] + id[i]);
        if (keep) tape.push(() -> {
            float[] d = new float[y.length];
            Activations.reluBackward(y, 0, grad, 0, d, 0, d.length, false);
            dSum[0] = d;
            grad = d;
        });
        return new Map(y, o.c(), o.h(), o.w());
    }

    float[] forward(float[] pixels, int n, int res, boolean keep) {
        tape.clear();
        Map x = new Map(pixels, 3, res, res);
        x = convBn(x, n, "visual.conv1.weight", "visual.bn1", 2, 1, true, keep, false);
        x = convBn(x, n, "visual.conv2.weight", "visual.bn2", 1, 1, true, keep, true);
        x = convBn(x, n, "visual.conv3.weight", "visual.bn3", 1, 1, true, keep, true);
        x = avgPool(x, n, 2, keep);
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < layers[s]; b++) x = bottleneck(x, n, "visual.layer" + (s + 1) + "." + b + ".", b == 0 && s > 0 ? 2 : 1, keep);
        }
        return attnPool(x, n, keep);
    }

    private float[] attnPool(Map in, int n, boolean keep) {
        int c = in.c(), hw = in.h() * in.w(), l = hw + 1;
        float[] tok = new float[n * l * c];
        AttentionPoolBackward.tokens(in.x(), n, c, hw, tok);
        float[] pos = w("visual.attnpool.positional_embedding");
        for (int b = 0; b < n; b++) for (int i = 0; i < l * c; i++) tok[b * l * c + i] += pos[i];
        float[] q = new float[n * c], k = new float[n * l * c], v = new float[n * l * c], o = new float[n * c], out = new float[n * embed];
        for (int b = 0; b < n; b++) Gemm.nt(tok, b * l * c, w("visual.attnpool.q_proj.weight"), 0, w("visual.attnpool.q_proj.bias"), q, b * c, 1, c, c, false);
        Gemm.nt(tok, 0, w("visual.attnpool.k_proj.weight"), 0, w("visual.attnpool.k_proj.bias"), k, 0, n * l, c, c, false);
        Gemm.nt(tok, 0, w("visual.attnpool.v_proj.weight"), 0, w("visual.attnpool.v_proj.bias"), v, 0, n * l, c, c, false);
        var qv = new AttentionBackward.View(q, 0, c);
        var kv = new AttentionBackward.View(k, 0, c);
        var vv = new AttentionBackward.View(v, 0, c);
        AttentionBackward.forward(qv, kv, vv, o, 0, null, n, 1, l, c, heads, false);
        Gemm.nt(o, 0, w("visual.attnpool.c_proj.weight"), 0, w("visual.attnpool.c_proj.bias"), out, 0, n, embed, c, false);
        if (keep) tape.push(() -> {
            float[] dO = new float[n * c];
            LinearBackward.linear(grad, 0, o, 0, w("visual.attnpool.c_proj.weight"), 0, dO, 0, dw("visual.attnpool.c_proj.weight"), 0,
                    dw("visual.attnpool.c_proj.bias"), 0, n, c, embed);
            float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length], dTok = new float[tok.length];
            AttentionBackward.backward(qv, kv, vv, dO, 0, null, new AttentionBackward.View(dq, 0, c), new AttentionBackward.View(dk, 0, c),
                    new AttentionBackward.View(dv, 0, c), n, 1, l, c, heads, false);
            for (int b = 0; b < n; b++) {
                LinearBackward.linear(dq, b * c, tok, b * l * c, w("visual.attnpool.q_proj.weight"), 0, dTok, b * l * c,
                        dw("visual.attnpool.q_proj.weight"), 0, dw("visual.attnpool.q_proj.bias"), 0, 1, c, c);
            }
            LinearBackward.linear(dk, 0, tok, 0, w("visual.attnpool.k_proj.weight"), 0, dTok, 0, dw("visual.attnpool.k_proj.weight"), 0,
                    dw("visual.attnpool.k_proj.bias"), 0, n * l, c, c);
            LinearBackward.linear(dv, 0, tok, 0, w("visual.attnpool.v_proj.weight"), 0, dTok, 0, dw("visual.attnpool.v_proj.weight"), 0,
                    dw("visual.attnpool.v_proj.bias"), 0, n * l, c, c);
            EmbeddingBackward.broadcastAdd(dTok, 0, n, l, c, dw("visual.attnpool.positional_embedding"), 0);
            float[] dx = new float[in.x().length];
            AttentionPoolBackward.tokensBackward(dTok, n, c, hw, dx);
            grad = dx;
        });
        return out;
    }

    void backward(float[] dEmb) {
        if (tape.isEmpty()) throw new IllegalStateException("no saved activations");
        grad = dEmb;
        while (!tape.isEmpty()) tape.pop().run();
        grad = null;
    }
}
