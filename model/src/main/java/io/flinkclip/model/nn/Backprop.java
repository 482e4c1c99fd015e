package io.flinkclip.model.nn;

import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.backward.AttentionBackward;
import io.flinkclip.kernels.backward.BatchNormBackward;
import io.flinkclip.kernels.Parallel;
import io.flinkclip.kernels.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Layer-level backward passes over flat buffers (llm.c style). Matrix products go through {@link Gemm};
 * the light element- and row-wise parts are small loops here. Every {@code g*} argument is accumulated
 * into (+=); {@code dx} outputs are overwritten unless a method says otherwise.
 */
final class Backprop {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Backprop() {}

    /**
     * y = x·Wᵀ + b over {@code rows}: gW += dyᵀ·x, gB += Σ dy, and dx (= or += with {@code accumulateDx})
     * dy·W. {@code dx} may be null when the input needs no gradient.
     */
    static void linear(Linear l, float[] x, int xOff, float[] dy, int dyOff, int rows, float[] dx, int dxOff,
                       boolean accumulateDx, float[] gW, float[] gB) {
        Gemm.tn(dy, dyOff, x, xOff, gW, 0, l.out, l.in, rows, true);
        if (gB != null) biasGradient(dy, dyOff, rows, l.out, gB);
        if (dx != null) Gemm.nn(dy, dyOff, l.trainableWeight(), 0, dx, dxOff, rows, l.in, l.out, accumulateDx);
    }

    static void linear(Linear l, float[] x, float[] dy, int rows, float[] dx, boolean accumulateDx, Gradients g) {
        linear(l, x, 0, dy, 0, rows, dx, 0, accumulateDx, g.of(l.weightName, l.out, l.in),
                l.bias == null ? null : g.of(l.biasName, l.out));
    }

    /** LayerNorm backward from its input x; dx (= or +=) per {@code accumulateDx}. Statistics are recomputed. */
    static void layerNorm(LayerNorm ln, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows,
                          boolean accumulateDx, Gradients g) {
        int d = ln.dim, chunks = (rows + LN_ROWS - 1) / LN_ROWS;
        float[] gW = g.of(ln.name + ".weight", d), gB = g.of(ln.name + ".bias", d);
        // Fixed row chunks with their own partial γ/β gradients, added in chunk order: the same bits on any
        // number of threads (exact training resume depends on it).
        float[] partW = new float[chunks * d], partB = new float[chunks * d];
        Parallel.forEach(chunks, 1, ch -> {
            for (int r = ch * LN_ROWS, end = Math.min(rows, r + LN_ROWS); r < end; r++)
                layerNormRow(ln, x, xOff + r * d, dy, dyOff + r * d, dx, dxOff + r * d, accumulateDx, partW, partB, ch * d);
        });
        for (int ch = 0; ch < chunks; ch++) {
            for (int i = 0; i < d; i++) {
                gW[i] += partW[ch * d + i];
                gB[i] += partB[ch * d + i];
            }
        }
    }

    /** gB[j] += Σ_r dy[r, j], rows in order for every j (vectorised across j, so the sums are the scalar ones). */
    private static void biasGradient(float[] dy, int dyOff, int rows, int out, float[] gB) {
        Parallel.forRanges(out, 64, (lo, hi) -> {
            for (int r = 0; r < rows; r++) {
                int o = dyOff + r * out, j = lo, vecEnd = lo + S.loopBound(hi - lo);
                for (; j < vecEnd; j += S.length()) FloatVector.fromArray(S, gB, j).add(FloatVector.fromArray(S, dy, o + j)).intoArray(gB, j);
                for (; j < hi; j++) gB[j] += dy[o + j];
            }
        });
    }

    /** Rows per LayerNorm-backward task. */
    private static final int LN_ROWS = 32;

    private static void layerNormRow(LayerNorm ln, float[] x, int xo, float[] dy, int yo, float[] dx, int o, boolean accumulateDx,
                                     float[] gW, float[] gB, int go) {
        int d = ln.dim;
        float[] gamma = ln.weight;
        double mean = 0;
        for (int i = 0; i < d; i++) mean += x[xo + i];
        mean /= d;
        double var = 0;
        for (int i = 0; i < d; i++) { double t = x[xo + i] - mean; var += t * t; }
        var /= d;
        double rstd = 1.0 / Math.sqrt(var + LayerNorm.EPS);
        double sumG = 0, sumGX = 0;
        for (int i = 0; i < d; i++) {
            double xhat = (x[xo + i] - mean) * rstd;
            double gy = dy[yo + i] * (double) gamma[i];
            sumG += gy;
            sumGX += gy * xhat;
            gW[go + i] += (float) (dy[yo + i] * xhat);
            gB[go + i] += dy[yo + i];
        }
        sumG /= d;
        sumGX /= d;
        for (int i = 0; i < d; i++) {
            double xhat = (x[xo + i] - mean) * rstd;
            float v = (float) (rstd * (dy[yo + i] * (double) gamma[i] - sumG - xhat * sumGX));
            dx[o + i] = accumulateDx ? dx[o + i] + v : v;
        }
    }

    /** In place: dy ← dy · d/dx[x·σ(1.702x)] at the pre-activation {@code pre} (σ from the deterministic VectorMath.exp). */
    static void quickGelu(float[] pre, float[] dy, int n) {
        Parallel.forRanges(n, 1 << 14, (lo, hi) -> {
            FloatVector one = FloatVector.broadcast(S, 1f);
            int i = lo, vecEnd = lo + S.loopBound(hi - lo);
            for (; i < vecEnd; i += S.length()) {
                FloatVector xv = FloatVector.fromArray(S, pre, i);
                FloatVector sg = one.div(VectorMath.exp(xv.mul(-1.702f)).add(1f));
                FloatVector dsg = sg.add(xv.mul(1.702f).mul(sg).mul(one.sub(sg)));
                FloatVector.fromArray(S, dy, i).mul(dsg).intoArray(dy, i);
            }
            for (; i < hi; i++) {
                float x = pre[i], sg = 1f / (VectorMath.exp(-1.702f * x) + 1f);
                dy[i] = dy[i] * (sg + 1.702f * x * sg * (1 - sg));
            }
        });
    }

    /** In place: dy ← 0 where the ReLU output {@code out} is not positive. */
    static void relu(float[] out, float[] dy, int n) {
        for (int i = 0; i < n; i++) if (!(out[i] > 0)) dy[i] = 0;
    }

    /**
     * Backward of {@code Ops.attention}: from the [q|k|v] rows and dOut [batch·seq, dim], writes d[q|k|v]
     * (overwritten). Probabilities are recomputed. (batch, head) pairs touch disjoint slices, so they run in parallel.
     */
    static void attention(float[] qkv, float[] dOut, float[] dqkv, int batch, int seq, int dim, int heads, boolean causal) {
        java.util.Arrays.fill(dqkv, 0, batch * seq * 3 * dim, 0f);
        AttentionBackward.backward(AttentionBackward.packedQ(qkv, 0, dim), AttentionBackward.packedK(qkv, 0, dim),
                AttentionBackward.packedV(qkv, 0, dim), dOut, 0, null, AttentionBackward.packedQ(dqkv, 0, dim),
                AttentionBackward.packedK(dqkv, 0, dim), AttentionBackward.packedV(dqkv, 0, dim), batch, seq, seq, dim, heads, causal);
    }

    /** Eval BatchNorm backward in place (dy ← dx = dy·γ/√(var+ε)); gγ += Σ dy·x̂, gβ += Σ dy, from the BN input x. */
    static void batchNorm(BatchNorm2d bn, float[] x, float[] dy, int n, int hw, Gradients g) {
        int c = bn.channels;
        float[] gW = g.of(bn.name + ".weight", c), gB = g.of(bn.name + ".bias", c);
        for (int ch = 0; ch < c; ch++) {
            double rstd = 1.0 / Math.sqrt(bn.runningVar[ch] + (double) BatchNorm2d.EPS);
            double mean = bn.runningMean[ch], sw = 0, sb = 0;
            float sc = (float) (bn.weight[ch] * rstd);
            for (int b = 0; b < n; b++) {
                int o = (b * c + ch) * hw;
                for (int i = o; i < o + hw; i++) {
                    sw += dy[i] * (x[i] - mean) * rstd;
                    sb += dy[i];
                    dy[i] *= sc;
                }
            }
            gW[ch] += (float) sw;
            gB[ch] += (float) sb;
        }
    }

    /** Train-mode BatchNorm backward, in place: dy ← dx (through the batch statistics); gradients of γ and β accumulate. */
    static void batchNormTrain(BatchNorm2d bn, float[] x, float[] dy, int n, int hw, BatchNorm2d.BatchStats stats, Gradients g) {
        int c = bn.channels, len = n * c * hw;
        float[] gW = g.of(bn.name + ".weight", c), gB = g.of(bn.name + ".bias", c), dx = new float[len];
        BatchNormBackward.trainBackward(x, dy, n, c, hw, bn.weight, stats.mean(), stats.rstd(), dx, gW, gB);
        System.arraycopy(dx, 0, dy, 0, len);
    }

    /** BatchNorm backward in the mode the forward ran in ({@code stats} null: eval mode). */
    static void batchNorm(BatchNorm2d bn, float[] x, float[] dy, int n, int hw, BatchNorm2d.BatchStats stats, Gradients g) {
        if (stats == null) batchNorm(bn, x, dy, n, hw, g);
        else batchNormTrain(bn, x, dy, n, hw, stats, g);
    }

    /** AvgPool2d(k) backward: dx [n·c, h, w] (overwritten; rows/columns the floor mode dropped get 0). */
    static void avgPool(float[] dy, int nc, int h, int w, int k, float[] dx) {
        int oh = h / k, ow = w / k;
        float inv = 1f / (k * k);
        java.util.Arrays.fill(dx, 0, nc * h * w, 0f);
        for (int p = 0; p < nc; p++) {
            for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) {
                float v = dy[(p * oh + y) * ow + xx] * inv;
                for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) dx[(p * h + y * k + i) * w + xx * k + j] = v;
            }
        }
    }

    /** Images per conv-backward GEMM are chosen so the im2col columns stay near this many floats. */
    private static final int CONV_COLS_FLOATS = 1 << 22;

    /**
     * Conv2d (no bias) backward: gW += Σ dy ⊗ x patches; dx (overwritten, may be null) = transposed conv of dy.
     * x [n, c, h, w], dy [n, outC, oh, ow]. Both are GEMMs over im2col columns of a group of images:
     * gW [outC, c·k·k] += dY [outC, pixels] · colsᵀ and dcols = Wᵀ · dY, scattered back into dx (col2im).
     */
    static void conv2d(Conv2d conv, float[] x, int n, int h, int w, float[] dy, float[] dx, Gradients g) {
        int c = conv.in, outC = conv.out, k = conv.k, kk = c * k * k;
        int oh = conv.outSize(h), ow = conv.outSize(w), pix = oh * ow;
        float[] gW = g.of(conv.name + ".weight", outC, c, k, k), wt = conv.weight;
        int group = Math.max(1, Math.min(n, CONV_COLS_FLOATS / Math.max(1, kk * pix)));
        float[] cols = new float[kk * group * pix], dyT = new float[outC * group * pix];
        float[] dcols = dx == null ? null : new float[kk * group * pix];
        for (int b0 = 0; b0 < n; b0 += group) {
            int images = Math.min(group, n - b0), np = images * pix, first = b0;
            // dY of the group as [outC, image·pixel] (dy is image-major).
            Parallel.forEach(outC, Math.max(1, 8192 / np), o -> {
                for (int i = 0; i < images; i++) System.arraycopy(dy, ((first + i) * outC + o) * pix, dyT, o * np + i * pix, pix);
            });
            Parallel.forEach(images * c, 1, ic -> im2col(x, first, ic / c, ic % c, c, h, w, conv, oh, ow, cols, np));
            Gemm.nt(dyT, 0, cols, 0, null, gW, 0, outC, kk, np, true);
            if (dx == null) continue;
            Gemm.tn(wt, 0, dyT, 0, dcols, 0, kk, np, outC, false);
            Parallel.forEach(images * c, 1, ic -> col2im(dcols, first, ic / c, ic % c, c, h, w, conv, oh, ow, dx, np));
        }
    }

    /** cols[(ci·k + i)·k + j, img·pix + oy·ow + ox] = x[b0 + img, ci, oy·s + i − pad, ox·s + j − pad], 0 in the padding. */
    private static void im2col(float[] x, int b0, int img, int ci, int c, int h, int w, Conv2d conv, int oh, int ow, float[] cols, int np) {
        int k = conv.k, s = conv.stride, pad = conv.pad, xo = ((b0 + img) * c + ci) * h * w;
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) {
            int row = ((ci * k + i) * k + j) * np + img * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int iy = oy * s + i - pad, d = row + oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    int ix = ox * s + j - pad;
                    cols[d + ox] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[xo + iy * w + ix] : 0f;
                }
            }
        }
    }

    /** dx[b0 + img, ci] = Σ over taps of dcols scattered back to the input positions they read (overwrites). */
    private static void col2im(float[] dcols, int b0, int img, int ci, int c, int h, int w, Conv2d conv, int oh, int ow, float[] dx, int np) {
        int k = conv.k, s = conv.stride, pad = conv.pad, xo = ((b0 + img) * c + ci) * h * w;
        java.util.Arrays.fill(dx, xo, xo + h * w, 0f);
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) {
            int row = ((ci * k + i) * k + j) * np + img * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int iy = oy * s + i - pad, d = row + oy * ow;
                if (iy < 0 || iy >= h) continue;
                for (int ox = 0; ox < ow; ox++) {
                    int ix = ox * s + j - pad;
                    if (ix >= 0 && ix < w) dx[xo + iy * w + ix] += dcols[d + ox];
                }
            }
        }
    }
}
