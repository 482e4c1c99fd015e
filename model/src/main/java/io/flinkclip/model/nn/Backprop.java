package io.flinkclip.model.nn;

import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.backward.AttentionBackward;
import io.flinkclip.kernels.Parallel;

/**
 * Layer-level backward passes over flat buffers (llm.c style). Matrix products go through {@link Gemm};
 * the light element- and row-wise parts are small loops here. Every {@code g*} argument is accumulated
 * into (+=); {@code dx} outputs are overwritten unless a method says otherwise.
 */
final class Backprop {
    private Backprop() {}

    /**
     * y = x·Wᵀ + b over {@code rows}: gW += dyᵀ·x, gB += Σ dy, and dx (= or += with {@code accumulateDx})
     * dy·W. {@code dx} may be null when the input needs no gradient.
     */
    static void linear(Linear l, float[] x, int xOff, float[] dy, int dyOff, int rows, float[] dx, int dxOff,
                       boolean accumulateDx, float[] gW, float[] gB) {
        Gemm.tn(dy, dyOff, x, xOff, gW, 0, l.out, l.in, rows, true);
        if (gB != null) {
            for (int r = 0; r < rows; r++) {
                int o = dyOff + r * l.out;
                for (int j = 0; j < l.out; j++) gB[j] += dy[o + j];
            }
        }
        if (dx != null) Gemm.nn(dy, dyOff, l.trainableWeight(), 0, dx, dxOff, rows, l.in, l.out, accumulateDx);
    }

    static void linear(Linear l, float[] x, float[] dy, int rows, float[] dx, boolean accumulateDx, Gradients g) {
        linear(l, x, 0, dy, 0, rows, dx, 0, accumulateDx, g.of(l.weightName, l.out, l.in),
                l.bias == null ? null : g.of(l.biasName, l.out));
    }

    /** LayerNorm backward from its input x; dx (= or +=) per {@code accumulateDx}. Statistics are recomputed. */
    static void layerNorm(LayerNorm ln, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows,
                          boolean accumulateDx, Gradients g) {
        int d = ln.dim;
        float[] gW = g.of(ln.name + ".weight", d), gB = g.of(ln.name + ".bias", d);
        float[] gamma = ln.weight;
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * d, yo = dyOff + r * d, o = dxOff + r * d;
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
                gW[i] += (float) (dy[yo + i] * xhat);
                gB[i] += dy[yo + i];
            }
            sumG /= d;
            sumGX /= d;
            for (int i = 0; i < d; i++) {
                double xhat = (x[xo + i] - mean) * rstd;
                float v = (float) (rstd * (dy[yo + i] * (double) gamma[i] - sumG - xhat * sumGX));
                dx[o + i] = accumulateDx ? dx[o + i] + v : v;
            }
        }
    }

    /** In place: dy ← dy · d/dx[x·σ(1.702x)] at the pre-activation {@code pre}. */
    static void quickGelu(float[] pre, float[] dy, int n) {
        for (int i = 0; i < n; i++) {
            double x = pre[i], s = 1.0 / (1.0 + Math.exp(-1.702 * x));
            dy[i] = (float) (dy[i] * (s + 1.702 * x * s * (1 - s)));
        }
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

    /**
     * Conv2d (no bias) backward: gW += Σ dy ⊗ x patches; dx (overwritten, may be null) = transposed conv of dy.
     * x [n, c, h, w], dy [n, outC, oh, ow].
     */
    static void conv2d(Conv2d conv, float[] x, int n, int h, int w, float[] dy, float[] dx, Gradients g) {
        int c = conv.in, outC = conv.out, k = conv.k, s = conv.stride, pad = conv.pad;
        int oh = conv.outSize(h), ow = conv.outSize(w);
        float[] gW = g.of(conv.name + ".weight", outC, c, k, k), wt = conv.weight;
        Parallel.forEach(outC, 1, o -> {
            for (int ci = 0; ci < c; ci++) for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) {
                double acc = 0;
                for (int b = 0; b < n; b++) {
                    for (int y = 0; y < oh; y++) {
                        int iy = y * s + i - pad;
                        if (iy < 0 || iy >= h) continue;
                        int dyRow = ((b * outC + o) * oh + y) * ow, xRow = ((b * c + ci) * h + iy) * w;
                        for (int xx = 0; xx < ow; xx++) {
                            int ix = xx * s + j - pad;
                            if (ix >= 0 && ix < w) acc += dy[dyRow + xx] * x[xRow + ix];
                        }
                    }
                }
                gW[((o * c + ci) * k + i) * k + j] += (float) acc;
            }
        });
        if (dx == null) return;
        Parallel.forEach(n * c, 1, bc -> {
            int b = bc / c, ci = bc % c, xo = bc * h * w;
            java.util.Arrays.fill(dx, xo, xo + h * w, 0f);
            for (int o = 0; o < outC; o++) for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) {
                float wv = wt[((o * c + ci) * k + i) * k + j];
                for (int y = 0; y < oh; y++) {
                    int iy = y * s + i - pad;
                    if (iy < 0 || iy >= h) continue;
                    int dyRow = ((b * outC + o) * oh + y) * ow, xRow = xo + iy * w;
                    for (int xx = 0; xx < ow; xx++) {
                        int ix = xx * s + j - pad;
                        if (ix >= 0 && ix < w) dx[xRow + ix] += wv * dy[dyRow + xx];
                    }
                }
            }
        });
    }
}
