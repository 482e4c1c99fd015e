package io.flinkclip.kernels.device;

/**
 * The small device interface every backend implements (CPU, OpenCL, CUDA; a TornadoVM backend would be a
 * fourth). Buffers hold 4-byte elements; every offset and size below counts elements, not bytes. Operations
 * are enqueued in order on the device's one stream/queue; {@link #download} synchronises.
 * The typed operations mirror the CPU kernels in {@code io.flinkclip.kernels} one to one.
 */
public interface Device extends AutoCloseable {
    /** e.g. "opencl:0:0 pthread-skylake-avx512 (PoCL)" */
    String describe();

    /** Zero-filled buffer of {@code elements} floats/ints. */
    DeviceBuffer allocate(long elements);

    DeviceBuffer upload(float[] data);

    DeviceBuffer uploadInts(int[] data);

    void write(DeviceBuffer dst, long dstOff, float[] src, int srcOff, int len);

    void download(DeviceBuffer src, long srcOff, float[] dst, int dstOff, int len);

    default float[] download(DeviceBuffer src) {
        float[] out = new float[Math.toIntExact(src.length())];
        download(src, 0, out, 0, out.length);
        return out;
    }

    /** Blocks until all enqueued work has finished. */
    void synchronize();

    /**
     * C(i,j) = beta·C(i,j) + Σ_p A(i,p)·B(p,j) (+ bias[j]) where X(r,c) = X[off + r·rs + c·cs]; {@code bias} may be null.
     */
    void gemm(int m, int n, int k, DeviceBuffer a, int aOff, int ars, int acs, DeviceBuffer b, int bOff, int brs, int bcs,
              DeviceBuffer bias, int biasOff, DeviceBuffer c, int cOff, int ldc, float beta);

    /** C[M,N] = A[M,K]·B[N,K]ᵀ (+ bias): the nn.Linear product. */
    default void gemmNT(int m, int n, int k, DeviceBuffer a, int aOff, DeviceBuffer b, int bOff, DeviceBuffer bias, DeviceBuffer c, int cOff, boolean accumulate) {
        gemm(m, n, k, a, aOff, k, 1, b, bOff, 1, k, bias, 0, c, cOff, n, accumulate ? 1f : 0f);
    }

    /** C[M,N] = A[M,K]·B[K,N]. */
    default void gemmNN(int m, int n, int k, DeviceBuffer a, int aOff, DeviceBuffer b, int bOff, DeviceBuffer c, int cOff, boolean accumulate) {
        gemm(m, n, k, a, aOff, k, 1, b, bOff, n, 1, null, 0, c, cOff, n, accumulate ? 1f : 0f);
    }

    /** C[M,N] = A[K,M]ᵀ·B[K,N] (weight gradients). */
    default void gemmTN(int m, int n, int k, DeviceBuffer a, int aOff, DeviceBuffer b, int bOff, DeviceBuffer c, int cOff, boolean accumulate) {
        gemm(m, n, k, a, aOff, 1, m, b, bOff, n, 1, null, 0, c, cOff, n, accumulate ? 1f : 0f);
    }

    /** LayerNorm of rows; when {@code stats} is non-null it receives (mean, 1/std) per row for the backward pass. */
    default void layerNorm(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y, int yOff,
                           float eps, DeviceBuffer stats) {
        layerNorm(rows, dim, x, xOff, gamma, beta, y, yOff, eps, stats, 0);
    }

    /** As above with the (mean, 1/std) pairs written from element {@code statsOff} of {@code stats}. */
    void layerNorm(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y, int yOff,
                   float eps, DeviceBuffer stats, int statsOff);

    /**
     * x[r, :] += residualBias, then y = LayerNorm(x) (no statistics kept): the bias of the GEMM that last accumulated into
     * the residual stream x, folded into the next LayerNorm's pass over x. Same result as addRowVector then layerNorm.
     */
    default void layerNormAfterBias(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer residualBias, DeviceBuffer gamma, DeviceBuffer beta,
                                    DeviceBuffer y, int yOff, float eps) {
        addRowVector(rows, dim, x, xOff, residualBias, 0);
        layerNorm(rows, dim, x, xOff, gamma, beta, y, yOff, eps, null);
    }

    /** dx += LayerNorm backward (gain/bias gradients: {@link #layerNormParamGrads}). */
    default void layerNormBackward(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer stats, DeviceBuffer dy, int dyOff,
                                   DeviceBuffer dx, int dxOff) {
        layerNormBackward(rows, dim, x, xOff, gamma, stats, 0, dy, dyOff, dx, dxOff);
    }

    void layerNormBackward(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer stats, int statsOff, DeviceBuffer dy,
                           int dyOff, DeviceBuffer dx, int dxOff);

    /** out[c] += Σ_r in[r, c]. */
    void columnSum(int rows, int cols, DeviceBuffer in, int inOff, DeviceBuffer out, int outOff);

    void quickGelu(int n, DeviceBuffer x, int off);

    /** x[r, c] = QuickGELU(x[r, c] + bias[c]) over [rows, cols] at {@code off}: the MLP's bias and activation in one pass. */
    default void biasQuickGelu(int rows, int cols, DeviceBuffer x, int off, DeviceBuffer bias) {
        addRowVector(rows, cols, x, off, bias, 0);
        quickGelu(rows * cols, x, off);
    }

    /** Sets flag[flagOff] to 1 if any of the {@code n} values at {@code xOff} is NaN or infinite; leaves it unchanged otherwise. */
    void flagNonFinite(int n, DeviceBuffer x, int xOff, DeviceBuffer flag, int flagOff);

    void quickGeluBackward(int n, DeviceBuffer x, int xOff, DeviceBuffer dy, int dyOff, DeviceBuffer dx, int dxOff);

    void relu(int n, DeviceBuffer x, int off);

    /** y += alpha·x */
    void axpy(int n, float alpha, DeviceBuffer x, int xOff, DeviceBuffer y, int yOff);

    /** y[r, :] += v[:] for each of {@code rows} rows. */
    void addRowVector(int rows, int cols, DeviceBuffer y, int yOff, DeviceBuffer v, int vOff);

    /** Multi-head attention over packed [q|k|v] rows (width 3·dim) → out [batch·seq, dim]. */
    void attention(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer out, int outOff);

    /**
     * As above with the in-projection's bias [3·dim] (null: none) added to every q, k and v row: the GPU kernels add it
     * as they read the rows; this default adds it to {@code qkv} in place first, so callers must treat qkv as scratch.
     */
    default void attention(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer qkvBias,
                           DeviceBuffer out, int outOff) {
        if (qkvBias != null) addRowVector(batch * seq, 3 * dim, qkv, qkvOff, qkvBias, 0);
        attention(batch, seq, dim, heads, causal, qkv, qkvOff, out, outOff);
    }

    void softmaxRows(int rows, int cols, DeviceBuffer x, int off);

    /** NCHW convolution without bias (CLIP's convolutions have none), via im2col and GEMM; scratch is managed internally. */
    void conv2d(int n, int c, int h, int w, DeviceBuffer weight, int outC, int kh, int kw, int stride, int pad,
                DeviceBuffer x, int xOff, DeviceBuffer out, int outOff);

    /**
     * As {@link #conv2d(int, int, int, int, DeviceBuffer, int, int, int, int, int, DeviceBuffer, int, DeviceBuffer, int)} with
     * caller-provided scratch of {@link #conv2dScratch} elements at {@code scratchOff}: no allocation and no
     * synchronisation, so a model can keep every activation in one reused arena.
     */
    default void conv2d(int n, int c, int h, int w, DeviceBuffer weight, int outC, int kh, int kw, int stride, int pad,
                        DeviceBuffer x, int xOff, DeviceBuffer out, int outOff, DeviceBuffer scratch, int scratchOff) {
        conv2d(n, c, h, w, weight, outC, kh, kw, stride, pad, x, xOff, out, outOff);
    }

    /** Scratch elements of the arena form of conv2d: the im2col matrix and the [outC, n·oh·ow] GEMM result. */
    static long conv2dScratch(int n, int c, int h, int w, int outC, int kh, int kw, int stride, int pad) {
        long spatial = (long) n * ((h + 2 * pad - kh) / stride + 1) * ((w + 2 * pad - kw) / stride + 1);
        return ((long) c * kh * kw + outC) * spatial;
    }

    void avgPool(int nc, int h, int w, int k, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff);

    /** Eval-mode BatchNorm in place (+ ReLU). */
    void batchNorm(int n, int c, int hw, DeviceBuffer x, int xOff, DeviceBuffer mean, DeviceBuffer var, DeviceBuffer gamma,
                   DeviceBuffer beta, float eps, boolean relu);

    /** out[t, :] = table[tokens[t], :] */
    void embeddingGather(int n, int width, DeviceBuffer tokens, DeviceBuffer table, DeviceBuffer out, int outOff);

    /** out[r, :] = x[rowIndex[r], :] */
    void gatherRows(int rows, int width, DeviceBuffer rowIndex, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff);

    /**
     * ViT token rows: {@code conv} is the patch convolution's channel-major output [n, width, patches]; {@code out}
     * becomes [n, 1 + patches, width] with {@code classEmbedding} as each image's row 0.
     */
    void patchTokens(int n, int width, int patches, DeviceBuffer conv, int convOff, DeviceBuffer classEmbedding, DeviceBuffer out, int outOff);

    /** Attention-pool token rows: NCHW x [n, channels, hw] → out [n, 1 + hw, channels], row 0 the spatial mean. */
    void meanTokens(int n, int channels, int hw, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff);

    /** out[outOff + r·outStride + i] = x[xOff + r·xStride + i] for r < rows, i < width. */
    void copyRows(int rows, int width, DeviceBuffer x, int xOff, int xStride, DeviceBuffer out, int outOff, int outStride);

    /** x[off + i] = value for i < n. */
    void fill(int n, float value, DeviceBuffer x, int off);

    /** The im2col matrix of a convolution's input: cols[(c·kh + i)·kw + j][n·oh·ow] (the B operand of its GEMM). */
    void im2col(int n, int c, int h, int w, int kh, int kw, int stride, int pad, DeviceBuffer x, int xOff, DeviceBuffer cols, int colsOff);

    /** LayerNorm gain/bias gradients: dg[c] += Σ_r dy[r,c]·x̂[r,c], db[c] += Σ_r dy[r,c], x̂ from the saved stats. */
    void layerNormParamGrads(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer stats, int statsOff, DeviceBuffer dy, int dyOff,
                             DeviceBuffer dg, int dgOff, DeviceBuffer db, int dbOff);

    /** out[outOff + index[r]·width + i] += x[xOff + r·width + i]; repeated indexes accumulate (embedding gradients). */
    void scatterAddRows(int rows, int width, DeviceBuffer index, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff);

    /** Scratch elements of {@link #attentionBackward}: a (logsumexp, D) pair per batch·head·query. */
    static long attentionBackwardScratch(int batch, int seq, int heads) { return 2L * batch * heads * seq; }

    /**
     * Backward of {@link #attention}: writes d[q|k|v] [batch·seq, 3·dim] from the forward's packed qkv and
     * dOut [batch·seq, dim], using {@link #attentionBackwardScratch} elements of scratch.
     */
    void attentionBackward(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer dOut, int dOutOff,
                           DeviceBuffer dqkv, int dqkvOff, DeviceBuffer scratch, int scratchOff);

    /**
     * One AdamW step (decoupled weight decay) for the {@code n} parameters at {@code pOff} of {@code p}, whose gradient
     * and moments are the {@code n} elements at {@code stateOff} of {@code g}, {@code m}, {@code v}, in the operation
     * order of the CPU optimiser ({@code OptimizerKernels.adamW}): g' = g·gradScale, p ← p·decay,
     * m ← m + (g' − m)(1 − β₁), v ← β₂v + (1 − β₂)g'², p ← p − (m/(√v/bc2Sqrt + ε))·stepSize. The caller computes the
     * step's scalars once (decay = 1 − lr·wd, bc2Sqrt = √(1 − β₂ᵗ), stepSize = lr/(1 − β₁ᵗ)); gradScale applies
     * global-norm clipping without rewriting the gradients.
     */
    void adamw(int n, DeviceBuffer p, int pOff, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, int stateOff, float gradScale,
               float decay, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps);

    /**
     * Σ x[off + i]² for i &lt; n: float squares summed on the device in fixed blocks (deterministic), the block sums
     * added in double here. NaN or ±∞ anywhere makes the result non-finite (a gradient check before an optimiser step).
     */
    double sumOfSquares(int n, DeviceBuffer x, int off);

    /**
     * Symmetric contrastive loss of scaled logits [n, n] with targets on the diagonal; writes dLoss/dLogits and returns the loss.
     */
    float contrastiveLoss(int n, DeviceBuffer logits, DeviceBuffer dLogits);

    /** float32 → bfloat16 (round to nearest even), two values packed per 4-byte element of {@code out}. */
    void toBf16(int n, DeviceBuffer x, DeviceBuffer out);

    void fromBf16(int n, DeviceBuffer in, DeviceBuffer y);

    @Override
    void close();
}
