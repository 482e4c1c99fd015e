package io.flinkclip.kernels.device;

/**
 * Shared implementation of the typed operations for backends that run the kernels of {@code clip_kernels.h}
 * (OpenCL and CUDA): each operation is one or a few launches. Subclasses supply memory management and
 * {@link #launch}; a backend may override an operation with a vendor library (cuBLAS for GEMM).
 */
abstract class KernelDevice implements Device {
    static final int BLOCK = 128;
    static final int TILE = 16;
    /** ROW_BLOCK and COL_ROWS of clip_kernels.h: LayerNorm work-group size, rows per column-reduction group. */
    static final int ROW_BLOCK = 128, COL_ROWS = 16;
    /** ATT_QUERIES and ATT_HD of clip_kernels.h: queries per attention work-group, widest head held in registers. */
    static final int ATT_QUERIES = 32, ATT_HD = 64;
    /** SUMSQ_PER_ITEM of clip_kernels.h: elements each sum_squares work-item adds before the tree. */
    static final int SUMSQ_PER_ITEM = 32;
    /** Work-items of the row-vector and flag kernels: enough to fill a large GPU (an H100 holds 270 k resident threads). */
    static final int ROW_VECTOR_ITEMS = 1 << 18, MAX_ROW_STEP = 4096;

    /**
     * Launches {@code kernel} over a 1-D or 2-D grid. {@code global} is the number of work-items per dimension
     * (rounded up here to a multiple of {@code local}); {@code args} are DeviceBuffer, Integer or Float.
     */
    protected abstract void launch(String kernel, int[] global, int[] local, Object... args);

    private void launch1(String kernel, int n, Object... args) {
        if (n > 0) launch(kernel, new int[] {n}, new int[] {BLOCK}, args);
    }

    @Override
    public void gemm(int m, int n, int k, DeviceBuffer a, int aOff, int ars, int acs, DeviceBuffer b, int bOff, int brs, int bcs,
                     DeviceBuffer bias, int biasOff, DeviceBuffer c, int cOff, int ldc, float beta) {
        if (m == 0 || n == 0) return;
        launch("gemm_strided", new int[] {n, m}, new int[] {TILE, TILE}, m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs,
                bias == null ? a : bias, biasOff, bias == null ? 0 : 1, c, cOff, ldc, beta);
    }

    @Override
    public void layerNorm(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y, int yOff,
                          float eps, DeviceBuffer stats, int statsOff) {
        if (rows > 0) launch("layer_norm", new int[] {rows * ROW_BLOCK}, new int[] {ROW_BLOCK}, rows, dim, x, xOff, gamma, 0, beta, 0, y, yOff, eps,
                stats == null ? x : stats, statsOff, stats == null ? 0 : 1, x, 0);
    }

    @Override
    public void layerNormAfterBias(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer residualBias, DeviceBuffer gamma, DeviceBuffer beta,
                                   DeviceBuffer y, int yOff, float eps) {
        if (rows > 0) launch("layer_norm", new int[] {rows * ROW_BLOCK}, new int[] {ROW_BLOCK}, rows, dim, x, xOff, gamma, 0, beta, 0, y, yOff, eps,
                x, 0, 0, residualBias, 1);
    }

    @Override
    public void layerNormBackward(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer gamma, DeviceBuffer stats, int statsOff,
                                  DeviceBuffer dy, int dyOff, DeviceBuffer dx, int dxOff) {
        if (rows > 0) launch("layer_norm_backward", new int[] {rows * ROW_BLOCK}, new int[] {ROW_BLOCK}, rows, dim, x, xOff, gamma, 0, stats, statsOff,
                dy, dyOff, dx, dxOff);
    }

    @Override
    public void columnSum(int rows, int cols, DeviceBuffer in, int inOff, DeviceBuffer out, int outOff) {
        if (cols > 0) launch("column_sum", new int[] {cols, COL_ROWS}, new int[] {32, COL_ROWS}, rows, cols, in, inOff, out, outOff);
    }

    @Override
    public void quickGelu(int n, DeviceBuffer x, int off) { launch1("quick_gelu", n, n, x, off); }

    @Override
    public void quickGeluBackward(int n, DeviceBuffer x, int xOff, DeviceBuffer dy, int dyOff, DeviceBuffer dx, int dxOff) {
        launch1("quick_gelu_backward", n, n, x, xOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void relu(int n, DeviceBuffer x, int off) { launch1("relu", n, n, x, off); }

    @Override
    public void axpy(int n, float alpha, DeviceBuffer x, int xOff, DeviceBuffer y, int yOff) {
        launch1("axpy", n, n, alpha, x, xOff, y, yOff);
    }

    @Override
    public void addRowVector(int rows, int cols, DeviceBuffer y, int yOff, DeviceBuffer v, int vOff) {
        rowVectorLaunch("add_row_vector", rows, cols, y, yOff, v, vOff);
    }

    @Override
    public void biasQuickGelu(int rows, int cols, DeviceBuffer x, int off, DeviceBuffer bias) {
        rowVectorLaunch("bias_quick_gelu", rows, cols, x, off, bias, 0);
    }

    /** Row-vector kernels (clip_kernels.h): about ROW_VECTOR_ITEMS work-items, each walking every rowStep-th row of one column. */
    private void rowVectorLaunch(String kernel, int rows, int cols, DeviceBuffer y, int yOff, DeviceBuffer v, int vOff) {
        if (rows <= 0 || cols <= 0) return;
        int rowStep = Math.max(1, Math.min(Math.min(rows, MAX_ROW_STEP), ROW_VECTOR_ITEMS / cols));
        launch(kernel, new int[] {cols, rowStep}, new int[] {BLOCK, 1}, rows, cols, rowStep, y, yOff, v, vOff);
    }

    @Override
    public void flagNonFinite(int n, DeviceBuffer x, int xOff, DeviceBuffer flag, int flagOff) {
        if (n <= 0) return;
        int step = roundUp(Math.min(n, ROW_VECTOR_ITEMS), BLOCK);
        launch("flag_non_finite", new int[] {step}, new int[] {BLOCK}, n, step, x, xOff, flag, flagOff);
    }

    @Override
    public void attention(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer out, int outOff) {
        attention(batch, seq, dim, heads, causal, qkv, qkvOff, null, out, outOff);
    }

    @Override
    public void attention(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer qkvBias,
                          DeviceBuffer out, int outOff) {
        checkHeadWidth(dim, heads);
        // groups of exactly ATT_QUERIES: the kernel stages keys cooperatively with that many work-items
        launch("attention", new int[] {seq, batch * heads}, new int[] {ATT_QUERIES, 1}, batch, seq,
                dim, heads, causal ? 1 : 0, qkv, qkvOff, qkvBias == null ? qkv : qkvBias, qkvBias == null ? 0 : 1, out, outOff);
    }

    @Override
    public void softmaxRows(int rows, int cols, DeviceBuffer x, int off) { launch1("softmax_rows", rows, rows, cols, x, off); }

    @Override
    public void conv2d(int n, int c, int h, int w, DeviceBuffer weight, int outC, int kh, int kw, int stride, int pad,
                       DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1;
        int spatial = n * oh * ow, rows = c * kh * kw;
        try (DeviceBuffer scratch = allocate(((long) rows + outC) * spatial)) {
            conv2d(n, c, h, w, weight, outC, kh, kw, stride, pad, x, xOff, out, outOff, scratch, 0);
            synchronize(); // scratch is freed on return
        }
    }

    @Override
    public void conv2d(int n, int c, int h, int w, DeviceBuffer weight, int outC, int kh, int kw, int stride, int pad,
                       DeviceBuffer x, int xOff, DeviceBuffer out, int outOff, DeviceBuffer scratch, int scratchOff) {
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1;
        int spatial = n * oh * ow, rows = c * kh * kw, tmp = scratchOff + rows * spatial;
        if (scratchOff + Device.conv2dScratch(n, c, h, w, outC, kh, kw, stride, pad) > scratch.length()) {
            throw new IllegalArgumentException("conv2d scratch of " + scratch.length() + " elements is too small at offset " + scratchOff);
        }
        launch1("im2col", rows * spatial, n, c, h, w, kh, kw, stride, pad, oh, ow, x, xOff, scratch, scratchOff);
        gemmNN(outC, spatial, rows, weight, 0, scratch, scratchOff, scratch, tmp, false);
        launch1("cnhw_to_nchw", outC * spatial, n, outC, oh * ow, scratch, tmp, out, outOff);
    }

    @Override
    public void avgPool(int nc, int h, int w, int k, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        launch1("avg_pool", nc * (h / k) * (w / k), nc, h, w, k, x, xOff, out, outOff);
    }

    @Override
    public void batchNorm(int n, int c, int hw, DeviceBuffer x, int xOff, DeviceBuffer mean, DeviceBuffer var, DeviceBuffer gamma,
                          DeviceBuffer beta, float eps, boolean relu) {
        launch1("batch_norm", n * c * hw, n, c, hw, x, xOff, mean, var, gamma, beta, eps, relu ? 1 : 0);
    }

    @Override
    public void embeddingGather(int n, int width, DeviceBuffer tokens, DeviceBuffer table, DeviceBuffer out, int outOff) {
        launch1("embedding_gather", n * width, n, width, tokens, table, out, outOff);
    }

    @Override
    public void gatherRows(int rows, int width, DeviceBuffer rowIndex, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        launch1("gather_rows", rows * width, rows, width, rowIndex, x, xOff, out, outOff);
    }

    @Override
    public void patchTokens(int n, int width, int patches, DeviceBuffer conv, int convOff, DeviceBuffer classEmbedding, DeviceBuffer out, int outOff) {
        launch1("patch_tokens", n * (1 + patches) * width, n, width, patches, conv, convOff, classEmbedding, out, outOff);
    }

    @Override
    public void meanTokens(int n, int channels, int hw, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        launch1("mean_tokens", n * (1 + hw) * channels, n, channels, hw, x, xOff, out, outOff);
    }

    @Override
    public void copyRows(int rows, int width, DeviceBuffer x, int xOff, int xStride, DeviceBuffer out, int outOff, int outStride) {
        launch1("copy_rows", rows * width, rows, width, x, xOff, xStride, out, outOff, outStride);
    }

    @Override
    public void fill(int n, float value, DeviceBuffer x, int off) { launch1("fill", n, n, value, x, off); }

    @Override
    public void im2col(int n, int c, int h, int w, int kh, int kw, int stride, int pad, DeviceBuffer x, int xOff, DeviceBuffer cols, int colsOff) {
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (w + 2 * pad - kw) / stride + 1;
        launch1("im2col", c * kh * kw * n * oh * ow, n, c, h, w, kh, kw, stride, pad, oh, ow, x, xOff, cols, colsOff);
    }

    @Override
    public void layerNormParamGrads(int rows, int dim, DeviceBuffer x, int xOff, DeviceBuffer stats, int statsOff, DeviceBuffer dy, int dyOff,
                                    DeviceBuffer dg, int dgOff, DeviceBuffer db, int dbOff) {
        if (dim > 0) launch("layer_norm_param_grads", new int[] {dim, COL_ROWS}, new int[] {32, COL_ROWS}, rows, dim, x, xOff, stats, statsOff, dy, dyOff,
                dg, dgOff, db, dbOff);
    }

    @Override
    public void scatterAddRows(int rows, int width, DeviceBuffer index, DeviceBuffer x, int xOff, DeviceBuffer out, int outOff) {
        launch1("scatter_add_rows", width, rows, width, index, x, xOff, out, outOff);
    }

    @Override
    public void attentionBackward(int batch, int seq, int dim, int heads, boolean causal, DeviceBuffer qkv, int qkvOff, DeviceBuffer dOut,
                                  int dOutOff, DeviceBuffer dqkv, int dqkvOff, DeviceBuffer scratch, int scratchOff) {
        checkHeadWidth(dim, heads);
        int[] global = {seq, batch * heads}, local = {ATT_QUERIES, 1};
        int c = causal ? 1 : 0;
        launch("attention_backward_stats", global, local, batch, seq, dim, heads, c, qkv, qkvOff, dOut, dOutOff, scratch, scratchOff);
        launch("attention_backward_dq", global, local, batch, seq, dim, heads, c, qkv, qkvOff, dOut, dOutOff, scratch, scratchOff, dqkv, dqkvOff);
        launch("attention_backward_dkv", global, local, batch, seq, dim, heads, c, qkv, qkvOff, dOut, dOutOff, scratch, scratchOff, dqkv, dqkvOff);
    }

    @Override
    public void adamw(int n, DeviceBuffer p, int pOff, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, int stateOff, float gradScale,
                      float decay, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps) {
        launch1("adamw", n, n, p, pOff, g, m, v, stateOff, gradScale, decay, beta1, beta2, bc2Sqrt, stepSize, eps);
    }

    @Override
    public double sumOfSquares(int n, DeviceBuffer x, int off) {
        if (n <= 0) return 0;
        int perGroup = ROW_BLOCK * SUMSQ_PER_ITEM, groups = (n + perGroup - 1) / perGroup;
        try (DeviceBuffer partial = allocate(groups)) {
            launch("sum_squares", new int[] {groups * ROW_BLOCK}, new int[] {ROW_BLOCK}, n, x, off, partial);
            double s = 0;
            for (float v : download(partial)) s += v;
            return s;
        }
    }

    @Override
    public float contrastiveLoss(int n, DeviceBuffer logits, DeviceBuffer dLogits) {
        try (DeviceBuffer losses = allocate(2L * n)) {
            launch1("contrastive_loss", n, n, logits, losses, dLogits);
            launch1("contrastive_loss_columns", n, n, logits, losses, n, dLogits);
            float[] l = download(losses);
            double s = 0;
            for (float v : l) s += v;
            return (float) (s / (2.0 * n));
        }
    }

    @Override
    public void toBf16(int n, DeviceBuffer x, DeviceBuffer out) { launch1("f32_to_bf16", n, n, x, 0, out, 0); }

    @Override
    public void fromBf16(int n, DeviceBuffer in, DeviceBuffer y) { launch1("bf16_to_f32", n, n, in, y); }

    /** The attention kernels hold a head's row in registers and stage rows of ATT_HD columns (every CLIP model: 64). */
    private static void checkHeadWidth(int dim, int heads) {
        if (dim / heads > ATT_HD) throw new DeviceException("device attention supports head widths up to " + ATT_HD + ", got " + dim / heads);
    }

    static int roundUp(int n, int multiple) { return (n + multiple - 1) / multiple * multiple; }
}
