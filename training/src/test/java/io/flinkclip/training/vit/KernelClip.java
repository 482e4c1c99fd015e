package io.flinkclip.training.vit;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.backward.ConvBackward;
import io.flinkclip.kernels.backward.EmbeddingBackward;
import io.flinkclip.kernels.backward.LayerNormTrain;
import io.flinkclip.kernels.backward.LinearBackward;
import io.flinkclip.training.TrainableClip;

/**
 * OpenAI's CLIP (ViT or modified-ResNet image tower, eval-mode BatchNorm) as a {@link TrainableClip}, assembled from
 * the layer backward kernels — a test reference proving kernels + loss + GradCache reproduce PyTorch autograd's
 * gradients (the product networks live in module model). Text pools at the first EOT (49407).
 */
public final class KernelClip implements TrainableClip {
    private static final float EPS = 1e-5f;
    private static final int EOT = 49407;
    private final StateDict p = new StateDict(), g = new StateDict(), buffers = new StateDict();
    private final StateDict trainable = new StateDict();
    private final int res, patch, vw, tw, embed, ctx, vocab;
    private final Blocks visual, text;
    private final ResNetTower resnet;
    // kept activations
    private float[] kPix, kVisIn, kVisLnPre, kVisMean, kVisRstd, kCls, kPost, kPostMean, kPostRstd;
    private int kN;
    private int[][] kTok;
    private int[] kEot;
    private float[] kTxtOut, kFinal, kFinalMean, kFinalRstd;

    public KernelClip(StateDict weights, int visionHeads, int textHeads) {
        for (Tensor t : weights.tensors()) {
            // BatchNorm running statistics are buffers (eval mode: read, never trained); counters are not floats.
            if (t.data() == null) continue;
            if (t.name().endsWith(".running_mean") || t.name().endsWith(".running_var")) {
                buffers.put(Tensor.of(t.name(), t.shape().clone(), t.data().clone()));
                p.put(buffers.get(t.name()));   // lookup convenience; excluded from parameters() below
                continue;
            }
            p.put(Tensor.of(t.name(), t.shape().clone(), t.data().clone()));
            g.put(Tensor.of(t.name(), t.shape().clone(), new float[t.data().length]));
        }
        tw = p.get("ln_final.weight").dim(0);
        embed = p.get("text_projection").dim(1);
        ctx = p.get("positional_embedding").dim(0);
        vocab = p.get("token_embedding.weight").dim(0);
        text = new Blocks(p, g, "transformer.", count("transformer.resblocks."), tw, textHeads, true);
        if (p.has("visual.proj")) {
            vw = p.get("visual.conv1.weight").dim(0);
            patch = p.get("visual.conv1.weight").dim(3);
            res = patch * (int) Math.round(Math.sqrt(p.get("visual.positional_embedding").dim(0) - 1));
            visual = new Blocks(p, g, "visual.transformer.", count("visual.transformer.resblocks."), vw, visionHeads, false);
            resnet = null;
        } else {
            vw = p.get("visual.layer1.0.conv1.weight").dim(0);
            patch = 0;
            res = 32 * (int) Math.round(Math.sqrt(p.get("visual.attnpool.positional_embedding").dim(0) - 1));
            int[] layers = new int[4];
            for (int s = 0; s < 4; s++) while (p.has("visual.layer" + (s + 1) + "." + layers[s] + ".conv1.weight")) layers[s]++;
            visual = null;
            resnet = new ResNetTower(p, g, layers, vw, embed);
        }
    }

    private int count(String prefix) {
        int n = 0;
        while (p.has(prefix + n + ".ln_1.weight")) n++;
        return n;
    }

    private float[] w(String n) { return p.get(n).data(); }

    private float[] dw(String n) { return g.get(n).data(); }

    @Override
    public float[][] embedImages(float[] pixels, int n, boolean keep) {
        if (resnet != null) {
            float[][] out = rows(resnet.forward(pixels, n, res, keep), n, embed);
            if (keep) kN = n;
            return out;
        }
        int grid = res / patch, hw = grid * grid, len = hw + 1;
        float[] conv = new float[n * vw * hw];
        Conv.conv2d(pixels, n, 3, res, res, w("visual.conv1.weight"), null, vw, patch, patch, patch, 0, conv);
        float[] x = new float[n * len * vw];
        float[] cls = w("visual.class_embedding"), pos = w("visual.positional_embedding");
        for (int b = 0; b < n; b++) {
            for (int t = 0; t < len; t++) for (int c = 0; c < vw; c++) {
                float v = t == 0 ? cls[c] : conv[(b * vw + c) * hw + t - 1];
                x[(b * len + t) * vw + c] = v + pos[t * vw + c];
            }
        }
        float[] lnPre = new float[x.length], mean = new float[n * len], rstd = new float[n * len];
        LayerNormTrain.forward(x, 0, w("visual.ln_pre.weight"), w("visual.ln_pre.bias"), lnPre, 0, mean, rstd, 0, n * len, vw, EPS);
        float[] y = visual.forward(lnPre, n, len, keep);
        float[] clsTok = new float[n * vw];
        for (int b = 0; b < n; b++) System.arraycopy(y, b * len * vw, clsTok, b * vw, vw);
        float[] post = new float[n * vw], pm = new float[n], pr = new float[n];
        LayerNormTrain.forward(clsTok, 0, w("visual.ln_post.weight"), w("visual.ln_post.bias"), post, 0, pm, pr, 0, n, vw, EPS);
        float[] out = new float[n * embed];
        Gemm.nn(post, 0, w("visual.proj"), 0, out, 0, n, embed, vw, false);
        if (keep) {
            kPix = pixels.clone(); kN = n; kVisIn = x; kVisLnPre = lnPre; kVisMean = mean; kVisRstd = rstd;
            kCls = clsTok; kPost = post; kPostMean = pm; kPostRstd = pr;
        }
        return rows(out, n, embed);
    }

    @Override
    public void backwardImages(float[][] dEmb) {
        if (resnet != null) {
            resnet.backward(flat(dEmb));
            return;
        }
        int n = kN, grid = res / patch, hw = grid * grid, len = hw + 1;
        float[] dPost = new float[n * vw], dCls = new float[n * vw];
        LinearBackward.projection(flat(dEmb), 0, kPost, 0, w("visual.proj"), 0, dPost, 0, dw("visual.proj"), 0, n, vw, embed);
        LayerNormTrain.backward(dPost, 0, kCls, 0, kPostMean, kPostRstd, 0, w("visual.ln_post.weight"), dCls, 0,
                dw("visual.ln_post.weight"), dw("visual.ln_post.bias"), n, vw);
        float[] dy = new float[n * len * vw];
        for (int b = 0; b < n; b++) System.arraycopy(dCls, b * vw, dy, b * len * vw, vw);
        float[] dLnPre = visual.backward(dy);
        float[] dx = new float[dy.length];
        LayerNormTrain.backward(dLnPre, 0, kVisIn, 0, kVisMean, kVisRstd, 0, w("visual.ln_pre.weight"), dx, 0,
                dw("visual.ln_pre.weight"), dw("visual.ln_pre.bias"), n * len, vw);
        EmbeddingBackward.broadcastAdd(dx, 0, n, len, vw, dw("visual.positional_embedding"), 0);
        float[] dClsEmb = dw("visual.class_embedding"), dConv = new float[n * vw * hw];
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < vw; c++) dClsEmb[c] += dx[(b * len) * vw + c];
            for (int t = 1; t < len; t++) for (int c = 0; c < vw; c++) dConv[(b * vw + c) * hw + t - 1] = dx[(b * len + t) * vw + c];
        }
        ConvBackward.conv2d(kPix, n, 3, res, res, w("visual.conv1.weight"), vw, patch, patch, patch, 0, dConv, null, dw("visual.conv1.weight"), null);
        kPix = null;
    }

    @Override
    public float[][] embedTexts(int[][] tokens, boolean keep) {
        int n = tokens.length;
        float[] table = w("token_embedding.weight"), pos = w("positional_embedding");
        float[] x = new float[n * ctx * tw];
        int[] eot = new int[n];
        for (int b = 0; b < n; b++) {
            if (tokens[b].length != ctx) throw new IllegalArgumentException("text " + b + " has " + tokens[b].length + " tokens, expected " + ctx);
            eot[b] = -1;
            for (int t = 0; t < ctx; t++) {
                int id = tokens[b][t];
                if (eot[b] < 0 && id == EOT) eot[b] = t;
                for (int c = 0; c < tw; c++) x[(b * ctx + t) * tw + c] = table[id * tw + c] + pos[t * tw + c];
            }
            if (eot[b] < 0) throw new IllegalArgumentException("text " + b + " has no end-of-text token");
        }
        float[] y = text.forward(x, n, ctx, keep);
        float[] last = new float[n * tw];
        for (int b = 0; b < n; b++) System.arraycopy(y, (b * ctx + eot[b]) * tw, last, b * tw, tw);
        // ln_final is per row, so applying it only to the pooled rows equals applying it everywhere then pooling.
        float[] fin = new float[n * tw], fm = new float[n], fr = new float[n];
        LayerNormTrain.forward(last, 0, w("ln_final.weight"), w("ln_final.bias"), fin, 0, fm, fr, 0, n, tw, EPS);
        float[] out = new float[n * embed];
        Gemm.nn(fin, 0, w("text_projection"), 0, out, 0, n, embed, tw, false);
        if (keep) { kTok = tokens.clone(); kEot = eot; kTxtOut = last; kFinal = fin; kFinalMean = fm; kFinalRstd = fr; }
        return rows(out, n, embed);
    }

    @Override
    public void backwardTexts(float[][] dEmb) {
        int n = kTok.length;
        float[] dFin = new float[n * tw], dLast = new float[n * tw];
        LinearBackward.projection(flat(dEmb), 0, kFinal, 0, w("text_projection"), 0, dFin, 0, dw("text_projection"), 0, n, tw, embed);
        LayerNormTrain.backward(dFin, 0, kTxtOut, 0, kFinalMean, kFinalRstd, 0, w("ln_final.weight"), dLast, 0,
                dw("ln_final.weight"), dw("ln_final.bias"), n, tw);
        float[] dy = new float[n * ctx * tw];
        for (int b = 0; b < n; b++) System.arraycopy(dLast, b * tw, dy, (b * ctx + kEot[b]) * tw, tw);
        float[] dx = text.backward(dy);
        EmbeddingBackward.broadcastAdd(dx, 0, n, ctx, tw, dw("positional_embedding"), 0);
        int[] all = new int[n * ctx];
        for (int b = 0; b < n; b++) System.arraycopy(kTok[b], 0, all, b * ctx, ctx);
        EmbeddingBackward.gather(all, dx, 0, dw("token_embedding.weight"), vocab, tw);
        kTok = null;
    }

    @Override
    public StateDict parameters() {
        if (trainable.size() == 0) for (Tensor t : p.tensors()) if (!buffers.has(t.name())) trainable.put(t);
        return trainable;
    }

    @Override public StateDict buffers() { return buffers; }

    @Override public StateDict gradients() { return g; }

    @Override
    public void zeroGrad() { for (Tensor t : g.tensors()) java.util.Arrays.fill(t.data(), 0f); }

    @Override public int imageResolution() { return res; }

    @Override public int contextLength() { return ctx; }

    private static float[][] rows(float[] flat, int n, int d) {
        float[][] r = new float[n][d];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * d, r[i], 0, d);
        return r;
    }

    private static float[] flat(float[][] rows) {
        int d = rows[0].length;
        float[] f = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, f, i * d, d);
        return f;
    }
}
