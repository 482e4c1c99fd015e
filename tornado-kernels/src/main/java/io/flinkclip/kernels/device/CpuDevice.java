package io.flinkclip.kernels.device;

import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.backward.AttentionBackward;
import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.Parallel;

/**
 * The CPU as a {@link Device}: buffers are Java arrays and the operations run the Vector API kernels of
 * {@code io.flinkclip.kernels}. It is the fallback of {@code auto} and the reference the GPU backends are
 * tested against.
 */
public final class CpuDevice implements Device {
    static final class CpuBuffer implements DeviceBuffer {
        final float[] f;

        CpuBuffer(float[] f) { this.f = f; }

        @Override
        public long length() { return f.length; }

        @Override
        public void close() {}
    }

    private static float[] f(DeviceBuffer b) {
        if (!(b instanceof CpuBuffer c)) throw new IllegalArgumentException("buffer does not belong to the CPU device: " + b);
        return c.f;
    }

    /** Integer buffers are stored as float bit patterns so one buffer type serves both. */
    private static int i(DeviceBuffer b, int idx) { return Float.floatToRawIntBits(f(b)[idx]); }

    @Override
    public String describe() { return "cpu (" + Parallel.THREADS + " threads, Vector API)"; }

    @Override
    public DeviceBuffer allocate(long elements) { return new CpuBuffer(new float[Math.toIntExact(elements)]); }

    @Override
    public DeviceBuffer upload(float[] data) { return new CpuBuffer(data.clone()); }

    @Override
    public DeviceBuffer uploadInts(int[] data) {
        float[] f = new float[data.length];
        for (int k = 0; k < data.length; k++) f[k] = Float.intBitsToFloat(data[k]);
        return new CpuBuffer(f);
    }

    @Override
    public void write(DeviceBuffer dst, long dstOff, float[] src, int srcOff, int len) {
        System.arraycopy(src, srcOff, f(dst), Math.toIntExact(dstOff), len);
    }

    @Override
    public void download(DeviceBuffer src, long srcOff, float[] dst, int dstOff, int len) {
        System.arraycopy(f(src), Math.toIntExact(srcOff), dst, dstOff, len);
    }

    @Override
    public void synchronize() {}

    @Override
    public void gemm(int m, int n, int k, DeviceBuffer a, int aOff, int ars, int acs, DeviceBuffer b, int bOff, int brs, int bcs,
                     DeviceBuffer bias, int biasOff, DeviceBuffer c, int cOff, int ldc, float beta) {
        float[] A = f(a), B = f(b), C = f(c);
        float[] bs = bias == null ? null : f(bias);
        boolean plainC = ldc == n && (beta == 0f || beta == 1f) && biasOff == 0;
        if (plainC && acs == 1 && ars == k && brs == 1 && bcs == k) {
            Gemm.nt(A, aOff, B, bOff, bs, C, cOff, m, n, k, beta == 1f);
            return;
        }
        if (plainC && bs == null && acs == 1 && ars == k && bcs == 1 && brs == n) {
            Gemm.nn(A, aOff, B, bOff, C, cOff, m, n, k, beta == 1f);
            return;
        }
        if (plainC && bs == null && ars == 1 && acs == m && bcs == 1 && brs == n) {
            Gemm.tn(A, aOff, B, bOff, C, cOff, m, n, k, beta == 1f);
            return;
        }
        Parallel.forEach(m, 1, row -> {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) s += A[aOff + row * ars + p * acs] * B[bOff + p * brs + j * bcs];
                if (bs != null) s += bs[biasOff + j];
                int ci = cOff + row * ldc + j;
                C[ci] = beta == 0f ? s : beta * C[ci] + s;
            }
        });
    }

    @Override
    public void layerNorm(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y, int yOff,
                          float eps, DeviceBuffer stats, int statsOff) {
        float[] X = f(x);
        if (stats != null) {
            float[] S = f(stats);
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int i = 0; i < dim; i++) mean += X[xOff + r * dim + i];
                mean /= dim;
                for (int i = 0; i < dim; i++) { double d = X[xOff + r * dim + i] - mean; var += d * d; }
                S[statsOff + 2 * r] = (float) mean;
                S[statsOff + 2 * r + 1] = (float) (1 / Math.sqrt(var / dim + eps));
            }
        }
        Ops.layerNorm(X, xOff, f(gamma), f(beta), f(y), yOff, rows, dim, eps);
    }

    @Override
    public void layerNormBackward(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer stats, int statsOff,
                                  DeviceBuffer dy, int dyOff, DeviceBuffer dx, int dxOff) {
        float[] X = f(x), G = f(gamma), S = f(stats), DY = f(dy), DX = f(dx);
        Parallel.forEach(rows, 4, r -> {
            float mean = S[statsOff + 2 * r], rstd = S[statsOff + 2 * r + 1];
            float sumDg = 0, sumDgX = 0;
            for (int i = 0; i < dim; i++) {
                float xh = (X[xOff + r * dim + i] - mean) * rstd, dg = DY[dyOff + r * dim + i] * G[i];
                sumDg += dg;
                sumDgX += dg * xh;
            }
            for (int i = 0; i < dim; i++) {
                float xh = (X[xOff + r * dim + i] - mean) * rstd, dg = DY[dyOff + r * dim + i] * G[i];
                DX[dxOff + r * dim + i] += rstd * (dg - sumDg / dim - xh * sumDgX / dim);
            }
        });
    }

    @Override
    public void columnSum(int rows, int cols, DeviceBuffer in, int inOff, DeviceBuffer out, int outOff) {
        float[] I = f(in), O = f(out);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) O[outOff + c] += I[inOff + r * cols + c];
    }

    @Override
    public void quickGelu(int n, DeviceBuffer x, int off) { Ops.quickGelu(f(x), off, n); }

    @Override
    public void quickGeluBackward(int n, DeviceBuffer x, int xOff, DeviceBuffer dy, int dyOff, DeviceBuffer dx, int dxOff) {
        float[] X = f(x), DY = f(dy), DX = f(dx);
        for (int k = 0; k < n; k++) {
            float v = X[xOff + k];
            float s = (float) (1 / (1 + Math.exp(-1.702 * v)));
            DX[dxOff + k] = DY[dyOff + k] * (s + 1.702f * v * s * (1 - s));
        }
    }

    @Override
    public void relu(int n, DeviceBuffer x, int off) { Ops.relu(f(x), off, n); }

    @Override
    public void flagNonFinite(int n, DeviceBuffer x, int xOff, DeviceBuffer flag, int flagOff) {
        float[] X = f(x);
        for (int k = 0; k < n; k++) {
            if (!Float.isFinite(X[xOff + k])) {
                f(flag)[flagOff] = 1f;
                return;
            }
        }
    }

    @Override
    public void axpy(int n, float alpha, DeviceBuffer x, int xOff, DeviceBuffer y, int yOff) {
        float[] X = f(x), Y = f(y);
        for (int k = 0; k < n; k++) Y[yOff + k] += alpha * X[xOff + k];
    }

    @Override
    public void addRowVector(int rows, int cols, DeviceBuffer y, int yOff, DeviceBuffer v, int vOff) {
        float[] Y = f(y), V = f(v);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) Y[yOff + r * cols + c] += V[vOff + c];
    }

    @Override
    public void attention(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer out, int outOff) {
        Ops.attention(f(qkv), qkvOff, f(out), outOff, batch, seq, dim, heads, causal);
    }

    @Override
    public void softmaxRows(int rows, int cols, DeviceBuffer x, int off) { Ops.softmaxRows(f(x), off, rows, cols); }

    @Override
    public void conv2d(int n, int c, int h, int w, DeviceBuffer weight, int outC, int kh, int kw, int stride, int pad,
                       DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        float[] X = f(x);
        float[] in = xOff == 0 ? X : java.util.Arrays.copyOfRange(X, xOff, xOff + n * c * h * w);
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1;
        float[] res = outOff == 0 ? f(out) : new float[n * outC * oh * ow];
        Conv.conv2d(in, n, c, h, w, f(weight), null, outC, kh, kw, stride, pad, res);
        if (res != f(out)) System.arraycopy(res, 0, f(out), outOff, res.length);
    }

    @Override
    public void avgPool(int nc, int h, int w, int k, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        float[] X = f(x), O = f(out);
        int oh = h / k, ow = w / k;
        float inv = 1f / (k * k);
        for (int p = 0; p < nc; p++) for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) {
            float s = 0;
            for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) s += X[xOff + (p * h + y * k + a) * w + xx * k + b];
            O[outOff + (p * oh + y) * ow + xx] = s * inv;
        }
    }

    @Override
    public void batchNorm(int n, int c, int hw, DeviceBuffer x, int xOff, DeviceBuffer mean, DeviceBuffer var, DeviceBuffer gamma,
                          DeviceBuffer beta, float eps, boolean relu) {
        float[] X = f(x), M = f(mean), V = f(var), G = f(gamma), B = f(beta);
        for (int idx = 0; idx < n * c * hw; idx++) {
            int ch = (idx / hw) % c;
            float v = (float) ((X[xOff + idx] - M[ch]) / Math.sqrt(V[ch] + eps)) * G[ch] + B[ch];
            X[xOff + idx] = relu && v < 0 ? 0 : v;
        }
    }

    @Override
    public void embeddingGather(int n, int width, DeviceBuffer tokens, DeviceBuffer table, DeviceBuffer out, int outOff) {
        float[] T = f(table), O = f(out);
        for (int t = 0; t < n; t++) System.arraycopy(T, i(tokens, t) * width, O, outOff + t * width, width);
    }

    @Override
    public void gatherRows(int rows, int width, DeviceBuffer rowIndex, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        float[] X = f(x), O = f(out);
        for (int r = 0; r < rows; r++) System.arraycopy(X, xOff + i(rowIndex, r) * width, O, outOff + r * width, width);
    }

    @Override
    public void patchTokens(int n, int width, int patches, DeviceBuffer conv, int convOff, DeviceBuffer classEmbedding, DeviceBuffer out, int outOff) {
        float[] C = f(conv), E = f(classEmbedding), O = f(out);
        int tokens = 1 + patches;
        for (int b = 0; b < n; b++) {
            int base = outOff + b * tokens * width;
            System.arraycopy(E, 0, O, base, width);
            for (int s = 0; s < patches; s++) {
                for (int c = 0; c < width; c++) O[base + (1 + s) * width + c] = C[convOff + (b * width + c) * patches + s];
            }
        }
    }

    @Override
    public void meanTokens(int n, int channels, int hw, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        float[] X = f(x), O = f(out);
        int tokens = 1 + hw;
        for (int b = 0; b < n; b++) {
            int base = outOff + b * tokens * channels;
            for (int c = 0; c < channels; c++) {
                int plane = xOff + (b * channels + c) * hw;
                float s = 0;
                for (int i = 0; i < hw; i++) {
                    s += X[plane + i];
                    O[base + (1 + i) * channels + c] = X[plane + i];
                }
                O[base + c] = s / hw;
            }
        }
    }

    @Override
    public void copyRows(int rows, int width, DeviceBuffer x, int xOff, int xStride, DeviceBuffer out, int outOff, int outStride) {
        float[] X = f(x), O = f(out);
        for (int r = 0; r < rows; r++) System.arraycopy(X, xOff + r * xStride, O, outOff + r * outStride, width);
    }

    @Override
    public void fill(int n, float value, DeviceBuffer x, int off) { java.util.Arrays.fill(f(x), off, off + n, value); }

    @Override
    public void im2col(int n, int c, int h, int w, int kh, int kw, int stride, int pad, DeviceBuffer x, int xOff, DeviceBuffer cols, int colsOff) {
        float[] X = f(x), O = f(cols);
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1, spatial = n * oh * ow;
        for (int row = 0; row < c * kh * kw; row++) {
            int ci = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
            for (int col = 0; col < spatial; col++) {
                int b = col / (oh * ow), oy = (col / ow) % oh, ox = col % ow;
                int iy = oy * stride + ki - pad, ix = ox * stride + kj - pad;
                O[colsOff + row * spatial + col] = iy >= 0 && iy < h && ix >= 0 && ix < w ? X[xOff + ((b * c + ci) * h + iy) * w + ix] : 0f;
            }
        }
    }

    @Override
    public void layerNormParamGrads(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer stats, int statsOff, DeviceBuffer dy, int dyOff,
                                    DeviceBuffer dg, int dgOff, DeviceBuffer db, int dbOff) {
        float[] X = f(x), S = f(stats), DY = f(dy), DG = f(dg), DB = f(db);
        for (int r = 0; r < rows; r++) {
            float mean = S[statsOff + 2 * r], rstd = S[statsOff + 2 * r + 1];
            for (int c = 0; c < dim; c++) {
                float g = DY[dyOff + r * dim + c];
                DG[dgOff + c] += g * (X[xOff + r * dim + c] - mean) * rstd;
                DB[dbOff + c] += g;
            }
        }
    }

    @Override
    public void scatterAddRows(int rows, int width, DeviceBuffer index, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        float[] X = f(x), O = f(out);
        for (int r = 0; r < rows; r++) {
            int o = outOff + i(index, r) * width;
            for (int k = 0; k < width; k++) O[o + k] += X[xOff + r * width + k];
        }
    }

    @Override
    public void attentionBackward(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer dOut,
                                  int dOutOff, DeviceBuffer dqkv, int dqkvOff, DeviceBuffer scratch, int scratchOff) {
        float[] Q = f(qkv), D = f(dqkv);
        java.util.Arrays.fill(D, dqkvOff, dqkvOff + batch * seq * 3 * dim, 0f);
        // Probabilities are recomputed on the CPU, so the scratch the GPU kernels need stays unused.
        AttentionBackward.backward(AttentionBackward.packedQ(Q, qkvOff, dim), AttentionBackward.packedK(Q, qkvOff, dim),
                AttentionBackward.packedV(Q, qkvOff, dim), f(dOut), dOutOff, null, AttentionBackward.packedQ(D, dqkvOff, dim),
                AttentionBackward.packedK(D, dqkvOff, dim), AttentionBackward.packedV(D, dqkvOff, dim), batch, seq, seq, dim, heads, causal);
    }

    @Override
    public void adamw(int n, DeviceBuffer p, int pOff, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, int stateOff, float gradScale,
                      float decay, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps) {
        float[] P = f(p), G = f(g), M = f(m), V = f(v);
        float oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2;
        for (int i = 0; i < n; i++) { // OptimizerKernels.adamW's scalar loop, element for element
            int k = stateOff + i;
            float gi = G[k] * gradScale;
            float wi = P[pOff + i] * decay;
            float mi = M[k] + (gi - M[k]) * oneMinusB1;
            float vi = V[k] * beta2 + gi * oneMinusB2 * gi;
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            P[pOff + i] = wi - (mi / denom) * stepSize;
            M[k] = mi;
            V[k] = vi;
        }
    }

    @Override
    public double sumOfSquares(int n, DeviceBuffer x, int off) {
        float[] X = f(x);
        java.util.Objects.checkFromIndexSize(off, n, X.length);
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) X[off + i] * X[off + i];
        return s;
    }

    @Override
    public float contrastiveLoss(int n, DeviceBuffer logits, DeviceBuffer dLogits) {
        float[] L = f(logits), D = f(dLogits);
        double loss = 0;
        float inv = 1f / (2f * n);
        for (int r = 0; r < n; r++) {
            float mx = Float.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < n; j++) mx = Math.max(mx, L[r * n + j]);
            for (int j = 0; j < n; j++) s += (float) Math.exp(L[r * n + j] - mx);
            loss += mx + Math.log(s) - L[r * n + r];
            for (int j = 0; j < n; j++) D[r * n + j] = ((float) Math.exp(L[r * n + j] - mx) / s - (j == r ? 1 : 0)) * inv;
        }
        for (int c = 0; c < n; c++) {
            float mx = Float.NEGATIVE_INFINITY, s = 0;
            for (int r = 0; r < n; r++) mx = Math.max(mx, L[r * n + c]);
            for (int r = 0; r < n; r++) s += (float) Math.exp(L[r * n + c] - mx);
            loss += mx + Math.log(s) - L[c * n + c];
            for (int r = 0; r < n; r++) D[r * n + c] += ((float) Math.exp(L[r * n + c] - mx) / s - (r == c ? 1 : 0)) * inv;
        }
        return (float) (loss / (2.0 * n));
    }

    @Override
    public void toBf16(int n, DeviceBuffer x, DeviceBuffer out) {
        float[] X = f(x), O = f(out);
        for (int k = 0; k < n; k += 2) {
            int lo = bf16(X[k]) & 0xffff, hi = k + 1 < n ? bf16(X[k + 1]) & 0xffff : 0;
            O[k / 2] = Float.intBitsToFloat(lo | hi << 16);
        }
    }

    @Override
    public void fromBf16(int n, DeviceBuffer in, DeviceBuffer y) {
        float[] I = f(in), Y = f(y);
        for (int k = 0; k < n; k++) {
            int word = Float.floatToRawIntBits(I[k / 2]);
            int h = (k % 2 == 0 ? word : word >>> 16) & 0xffff;
            Y[k] = Float.intBitsToFloat(h << 16);
        }
    }

    static short bf16(float v) {
        int u = Float.floatToRawIntBits(v);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 0x40);
        return (short) ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16);
    }

    @Override
    public void close() {}
}
