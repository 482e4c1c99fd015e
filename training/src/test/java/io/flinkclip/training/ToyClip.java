package io.flinkclip.training;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.backward.Activations;
import io.flinkclip.kernels.backward.EmbeddingBackward;
import io.flinkclip.kernels.backward.LinearBackward;

import java.util.Random;

/**
 * A tiny CLIP-shaped model with a real backward, for testing the training machinery without the real networks.
 * Image tower: flatten → Linear(P, H) → QuickGELU → x @ visual.proj[H, D]. Text tower: mean of token embeddings over
 * the tokens up to the first 0 pad (SOT…EOT) → x @ text_projection[W, D].
 */
public final class ToyClip implements TrainableClip {
    final int res, hidden, dim, vocab, width, ctx;
    private final StateDict params = new StateDict(), grads = new StateDict();
    // kept activations
    private float[] kPixels, kPre, kHidden;
    private int kN;
    private int[][] kTokens;
    private float[] kMean;

    public ToyClip(long seed, int res, int hidden, int dim, int vocab, int width, int ctx) {
        this.res = res; this.hidden = hidden; this.dim = dim; this.vocab = vocab; this.width = width; this.ctx = ctx;
        Random r = new Random(seed);
        int p = 3 * res * res;
        add("visual.fc1.weight", r, 1 / Math.sqrt(p), hidden, p);
        add("visual.fc1.bias", r, 0.1, hidden);
        add("visual.proj", r, 1 / Math.sqrt(hidden), hidden, dim);
        add("token_embedding.weight", r, 0.5, vocab, width);
        add("text_projection", r, 1 / Math.sqrt(width), width, dim);
        params.put(Tensor.of(LOGIT_SCALE, new int[0], new float[]{(float) Math.log(1 / 0.07)}));
        grads.put(Tensor.of(LOGIT_SCALE, new int[0], new float[1]));
    }

    public static ToyClip small(long seed) { return new ToyClip(seed, 4, 16, 8, 40, 8, 6); }

    private void add(String name, Random r, double std, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * std);
        params.put(Tensor.of(name, shape, a));
        grads.put(Tensor.of(name, shape.clone(), new float[n]));
    }

    private float[] p(String n) { return params.get(n).data(); }

    private float[] g(String n) { return grads.get(n).data(); }

    @Override
    public float[][] embedImages(float[] pixels, int n, boolean keep) {
        int pp = 3 * res * res;
        float[] pre = new float[n * hidden];
        Gemm.nt(pixels, 0, p("visual.fc1.weight"), 0, p("visual.fc1.bias"), pre, 0, n, hidden, pp, false);
        float[] h = pre.clone();
        Ops.quickGelu(h, 0, h.length);
        float[] out = new float[n * dim];
        Gemm.nn(h, 0, p("visual.proj"), 0, out, 0, n, dim, hidden, false);
        if (keep) { kPixels = pixels.clone(); kPre = pre; kHidden = h; kN = n; }
        return rows(out, n, dim);
    }

    @Override
    public void backwardImages(float[][] dEmb) {
        if (kPixels == null || dEmb.length != kN) throw new IllegalStateException("no kept image activations for " + dEmb.length + " rows");
        float[] dy = flat(dEmb);
        float[] dh = new float[kN * hidden];
        LinearBackward.projection(dy, 0, kHidden, 0, p("visual.proj"), 0, dh, 0, g("visual.proj"), 0, kN, hidden, dim);
        float[] dPre = new float[dh.length];
        Activations.quickGeluBackward(kPre, 0, dh, 0, dPre, 0, dh.length, false);
        LinearBackward.linear(dPre, 0, kPixels, 0, p("visual.fc1.weight"), 0, null, 0, g("visual.fc1.weight"), 0,
                g("visual.fc1.bias"), 0, kN, 3 * res * res, hidden);
        kPixels = null;
    }

    @Override
    public float[][] embedTexts(int[][] tokens, boolean keep) {
        int n = tokens.length;
        float[] mean = new float[n * width];
        float[] table = p("token_embedding.weight");
        for (int i = 0; i < n; i++) {
            int len = length(tokens[i]);
            for (int t = 0; t < len; t++) for (int k = 0; k < width; k++) mean[i * width + k] += table[tokens[i][t] * width + k] / len;
        }
        float[] out = new float[n * dim];
        Gemm.nn(mean, 0, p("text_projection"), 0, out, 0, n, dim, width, false);
        if (keep) { kTokens = tokens.clone(); kMean = mean; }
        return rows(out, n, dim);
    }

    @Override
    public void backwardTexts(float[][] dEmb) {
        if (kTokens == null || dEmb.length != kTokens.length) throw new IllegalStateException("no kept text activations");
        int n = kTokens.length;
        float[] dMean = new float[n * width];
        LinearBackward.projection(flat(dEmb), 0, kMean, 0, p("text_projection"), 0, dMean, 0, g("text_projection"), 0, n, width, dim);
        for (int i = 0; i < n; i++) {
            int len = length(kTokens[i]);
            int[] used = java.util.Arrays.copyOf(kTokens[i], len);
            float[] dRows = new float[len * width];
            for (int t = 0; t < len; t++) for (int k = 0; k < width; k++) dRows[t * width + k] = dMean[i * width + k] / len;
            EmbeddingBackward.gather(used, dRows, 0, g("token_embedding.weight"), vocab, width);
        }
        kTokens = null;
    }

    private static int length(int[] tok) {
        int len = 0;
        while (len < tok.length && (len == 0 || tok[len] != 0)) len++;
        return len;
    }

    @Override public StateDict parameters() { return params; }

    @Override public StateDict gradients() { return grads; }

    @Override
    public void zeroGrad() { for (Tensor t : grads.tensors()) java.util.Arrays.fill(t.data(), 0f); }

    @Override public int imageResolution() { return res; }

    @Override public int contextLength() { return ctx; }

    static float[][] rows(float[] flat, int n, int d) {
        float[][] r = new float[n][d];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * d, r[i], 0, d);
        return r;
    }

    static float[] flat(float[][] rows) {
        int d = rows[0].length;
        float[] f = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, f, i * d, d);
        return f;
    }
}
