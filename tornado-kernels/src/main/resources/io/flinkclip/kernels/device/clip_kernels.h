/*
 * Every device kernel of flink-clip, written once. A prelude (prelude_opencl.h or prelude_cuda.h) maps the
 * few dialect macros (KERNEL, GLOBAL, SHARED, GLOBAL_ID, …) to OpenCL C 1.2 or CUDA C++. Buffers are flat
 * float arrays addressed with explicit element offsets, mirroring the CPU kernels in io.flinkclip.kernels.
 * Launch geometry (global sizes rounded up to the work-group size) is chosen by the Java side; every kernel
 * therefore guards its index.
 */

#define TILE 16
/* Work-group of the row kernels (LayerNorm and its backward): one group per row, items stride over its columns. */
#define ROW_BLOCK 128
/* Column-reduction tiles: 32 adjacent columns (coalesced) × COL_ROWS items that stride over the rows. */
#define COL_ROWS 16

/*
 * Sum of v over the ROW_BLOCK items of a 1-D work-group, returned to every item. A fixed tree in local memory:
 * the same inputs always give the same bits (training resumes must be bit-identical).
 */
DEVICE_FN float row_block_sum(SHARED_PTR float* buf, float v) {
    int t = LOCAL_ID(0);
    buf[t] = v;
    SYNC_THREADS();
    for (int s = ROW_BLOCK / 2; s > 0; s >>= 1) {
        if (t < s) buf[t] += buf[t + s];
        SYNC_THREADS();
    }
    float total = buf[0];
    SYNC_THREADS(); /* buf is reused by the caller's next sum */
    return total;
}

/* Sum over the COL_ROWS items of a (32, COL_ROWS) group that share a column, in item order; valid in item row 0. */
DEVICE_FN float column_tile_sum(SHARED_PTR float* buf, float v) {
    int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    buf[ty * 32 + tx] = v;
    SYNC_THREADS();
    float total = 0.0f;
    if (ty == 0) for (int k = 0; k < COL_ROWS; k++) total += buf[k * 32 + tx];
    SYNC_THREADS();
    return total;
}

/*
 * C(i,j) = beta·C(i,j) + Σ_p A(i,p)·B(p,j) (+ bias[j]) with arbitrary element strides, so one kernel covers
 * the nt (nn.Linear), nn and tn products: X(r,c) = X[off + r·rs + c·cs]. 16×16 tiles staged in local memory.
 * Launch: global (ceil(N/16)·16, ceil(M/16)·16), local (16, 16).
 */
KERNEL void gemm_strided(int M, int N, int K,
                         GLOBAL const float* A, int aOff, int ars, int acs,
                         GLOBAL const float* B, int bOff, int brs, int bcs,
                         GLOBAL const float* bias, int biasOff, int hasBias,
                         GLOBAL float* C, int cOff, int ldc, float beta) {
    SHARED float As[TILE][TILE + 1];
    SHARED float Bs[TILE][TILE + 1];
    int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    int j = GROUP_ID(0) * TILE + tx;
    int i = GROUP_ID(1) * TILE + ty;
    float acc = 0.0f;
    for (int p0 = 0; p0 < K; p0 += TILE) {
        int pa = p0 + tx, pb = p0 + ty;
        As[ty][tx] = (i < M && pa < K) ? A[aOff + i * ars + pa * acs] : 0.0f;
        Bs[ty][tx] = (pb < K && j < N) ? B[bOff + pb * brs + j * bcs] : 0.0f;
        SYNC_THREADS();
        for (int q = 0; q < TILE; q++) acc += As[ty][q] * Bs[q][tx];
        SYNC_THREADS();
    }
    if (i < M && j < N) {
        if (hasBias) acc += bias[biasOff + j];
        int c = cOff + i * ldc + j;
        C[c] = beta == 0.0f ? acc : beta * C[c] + acc;
    }
}

/*
 * y = (x − mean)/sqrt(var + eps)·g + b per row; saves mean and 1/std when saveStats != 0. With hasRb, first
 * x += rb (written back): the bias of the GEMM that last accumulated into the residual stream x, added here
 * instead of in a pass of its own. Each item revisits only the columns it wrote, so no barrier is needed.
 */
KERNEL void layer_norm(int rows, int dim, GLOBAL float* x, int xOff, GLOBAL const float* g, int gOff,
                       GLOBAL const float* b, int bOff, GLOBAL float* y, int yOff, float eps,
                       GLOBAL float* stats, int statsOff, int saveStats, GLOBAL const float* rb, int hasRb) {
    /* one work-group of ROW_BLOCK items per row (the grid has exactly rows groups: every item reaches the barriers) */
    SHARED float buf[ROW_BLOCK];
    int r = GROUP_ID(0), t = LOCAL_ID(0);
    GLOBAL float* xr = x + xOff + r * dim;
    float s = 0.0f;
    if (hasRb) for (int i = t; i < dim; i += ROW_BLOCK) { float v = xr[i] + rb[i]; xr[i] = v; s += v; }
    else for (int i = t; i < dim; i += ROW_BLOCK) s += xr[i];
    float mean = row_block_sum(buf, s) / dim;
    float v = 0.0f;
    for (int i = t; i < dim; i += ROW_BLOCK) { float d = xr[i] - mean; v += d * d; }
    float rstd = 1.0f / SQRTF(row_block_sum(buf, v) / dim + eps);
    for (int i = t; i < dim; i += ROW_BLOCK) y[yOff + r * dim + i] = (xr[i] - mean) * rstd * g[gOff + i] + b[bOff + i];
    if (saveStats && t == 0) { stats[statsOff + 2 * r] = mean; stats[statsOff + 2 * r + 1] = rstd; }
}

/* dx += LayerNorm backward of one row per work-group (ROW_BLOCK items); gain/bias gradients: layer_norm_param_grads. */
KERNEL void layer_norm_backward(int rows, int dim, GLOBAL const float* x, int xOff, GLOBAL const float* g, int gOff,
                                GLOBAL const float* stats, int statsOff, GLOBAL const float* dy, int dyOff,
                                GLOBAL float* dx, int dxOff) {
    SHARED float buf[ROW_BLOCK];
    int r = GROUP_ID(0), t = LOCAL_ID(0);
    float mean = stats[statsOff + 2 * r], rstd = stats[statsOff + 2 * r + 1];
    float sumDg = 0.0f, sumDgX = 0.0f;
    for (int i = t; i < dim; i += ROW_BLOCK) {
        float xh = (x[xOff + r * dim + i] - mean) * rstd;
        float dg = dy[dyOff + r * dim + i] * g[gOff + i];
        sumDg += dg;
        sumDgX += dg * xh;
    }
    sumDg = row_block_sum(buf, sumDg);
    sumDgX = row_block_sum(buf, sumDgX);
    for (int i = t; i < dim; i += ROW_BLOCK) {
        float xh = (x[xOff + r * dim + i] - mean) * rstd;
        float dg = dy[dyOff + r * dim + i] * g[gOff + i];
        dx[dxOff + r * dim + i] += rstd * (dg - sumDg / dim - xh * sumDgX / dim);
    }
}

/*
 * out[c] += Σ_r in[r·cols + c] (bias and LayerNorm-gain gradients). Groups of (32, COL_ROWS): 32 adjacent columns,
 * each summed by COL_ROWS items over every COL_ROWS-th row, then in item order (deterministic).
 */
KERNEL void column_sum(int rows, int cols, GLOBAL const float* in, int inOff, GLOBAL float* out, int outOff) {
    SHARED float buf[COL_ROWS * 32];
    int c = GLOBAL_ID(0), ty = LOCAL_ID(1);
    float s = 0.0f;
    if (c < cols) for (int r = ty; r < rows; r += COL_ROWS) s += in[inOff + r * cols + c];
    s = column_tile_sum(buf, s);
    if (c < cols && ty == 0) out[outOff + c] += s;
}

DEVICE_FN float quick_gelu_of(float v) { return v / (1.0f + EXPF(-1.702f * v)); }

KERNEL void quick_gelu(int n, GLOBAL float* x, int off) {
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    x[off + i] = quick_gelu_of(x[off + i]);
}

/*
 * Row-vector kernels: work-item (c, g) handles column c of rows g, g + rowStep, …, so the vector element is read
 * once and no index is divided (the 1-D form with i % cols ran at half the memory bandwidth on an H100).
 * Launch: global (cols rounded up, rowStep), local (BLOCK, 1).
 */

/* x[r, c] = QuickGELU(x[r, c] + v[c]): the MLP's first bias and activation in one pass over the hidden rows. */
KERNEL void bias_quick_gelu(int rows, int cols, int rowStep, GLOBAL float* x, int off, GLOBAL const float* v, int vOff) {
    int c = GLOBAL_ID(0);
    if (c >= cols) return;
    float b = v[vOff + c];
    for (int r = GLOBAL_ID(1); r < rows; r += rowStep) x[off + r * cols + c] = quick_gelu_of(x[off + r * cols + c] + b);
}

/* dx = dy · d/dx[x·σ(1.702x)], with x the pre-activation input. */
KERNEL void quick_gelu_backward(int n, GLOBAL const float* x, int xOff, GLOBAL const float* dy, int dyOff,
                                GLOBAL float* dx, int dxOff) {
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    float v = x[xOff + i];
    float s = 1.0f / (1.0f + EXPF(-1.702f * v));
    dx[dxOff + i] = dy[dyOff + i] * (s + 1.702f * v * s * (1.0f - s));
}

KERNEL void relu(int n, GLOBAL float* x, int off) {
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    if (x[off + i] < 0.0f) x[off + i] = 0.0f;
}

/* y[i] += alpha·x[i] */
KERNEL void axpy(int n, float alpha, GLOBAL const float* x, int xOff, GLOBAL float* y, int yOff) {
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    y[yOff + i] += alpha * x[xOff + i];
}

/* y[r·cols + c] += v[c] (positional embeddings, biases); a row-vector kernel (see bias_quick_gelu). */
KERNEL void add_row_vector(int rows, int cols, int rowStep, GLOBAL float* y, int yOff, GLOBAL const float* v, int vOff) {
    int c = GLOBAL_ID(0);
    if (c >= cols) return;
    float b = v[vOff + c];
    for (int r = GLOBAL_ID(1); r < rows; r += rowStep) y[yOff + r * cols + c] += b;
}

/*
 * flag[flagOff] = 1 if any of x[xOff .. xOff + n) is NaN or ±Inf (exponent bits all ones); otherwise flag is left
 * as it was. Items stride by step (the launch's total size). Every writer stores the same value: no atomics.
 */
KERNEL void flag_non_finite(int n, int step, GLOBAL const float* x, int xOff, GLOBAL float* flag, int flagOff) {
    int found = 0;
    for (int i = GLOBAL_ID(0); i < n; i += step) found |= (AS_UINT(x[xOff + i]) & 0x7f800000u) == 0x7f800000u;
    if (found) flag[flagOff] = 1.0f;
}

#define ATT_QUERIES 32 /* queries per work-group (one work-item each): the Java side launches groups of exactly 32 */
#define ATT_KEYS 32    /* keys staged in local memory per step */
#define ATT_HD 64      /* largest head width held in registers (every CLIP model has 64) */
#define ATT_LD (ATT_HD + 1) /* row pitch of per-work-item rows in local memory: no bank conflicts across items */

/*
 * dst[j·ld + i] = src[first + (r0 + j)·rowStride + i] (+ bias[biasFirst + i] when hasBias) for the ATT_KEYS rows from
 * r0, i < ATT_HD, with zeros past `rows` and past the head width hd (the kernels' dot products run over all ATT_HD
 * columns, so no stale local memory may sit there). The ATT_QUERIES items of the group copy together; the caller
 * synchronises. The bias is the in-projection's, which inference adds here instead of in a pass over qkv.
 */
DEVICE_FN void stage_rows_biased(SHARED_PTR float* dst, int ld, GLOBAL const float* src, int first, int rowStride, int r0, int rows,
                                 int hd, GLOBAL const float* bias, int biasFirst, int hasBias) {
    /* a constant trip count, unrolled, so each item has several loads in flight: one load at a time per item (the
       old loop over e) left a group of 32 waiting on memory latency for most of the kernel on an H100 */
#pragma unroll 16
    for (int k = 0; k < ATT_KEYS * ATT_HD / ATT_QUERIES; k++) {
        int e = LOCAL_ID(0) + k * ATT_QUERIES, j = e / ATT_HD, i = e % ATT_HD, r = r0 + j;
        float v = 0.0f;
        if (r < rows && i < hd) {
            v = src[first + r * rowStride + i];
            if (hasBias) v += bias[biasFirst + i];
        }
        dst[j * ld + i] = v;
    }
}

/* stage_rows_biased without a bias (the backward kernels' staging). */
DEVICE_FN void stage_rows(SHARED_PTR float* dst, int ld, GLOBAL const float* src, int first, int rowStride, int r0, int rows, int hd) {
    stage_rows_biased(dst, ld, src, first, rowStride, r0, rows, hd, src, 0, 0);
}

/*
 * Multi-head attention, flash style: a work-group takes 32 queries of one (batch, head); K and V stream through
 * local memory 32 keys at a time, each work-item keeps its query, running max, sum and output row in registers
 * (online softmax: one rescale per step), and the output is written once. Reads each K/V row once per group instead
 * of once per query, and nothing is accumulated in global memory. Head widths up to ATT_HD. With hasBias, the
 * in-projection's bias [3·dim] is added to q, k and v as they are read (saves a pass over qkv in inference).
 */
KERNEL void attention(int batch, int seq, int dim, int heads, int causal, GLOBAL const float* qkv, int qkvOff,
                      GLOBAL const float* bias, int hasBias, GLOBAL float* out, int outOff) {
    SHARED float ks[ATT_KEYS * ATT_HD] ALIGN16;
    SHARED float vs[ATT_KEYS * ATT_HD] ALIGN16;
    int t = GLOBAL_ID(0), bh = GROUP_ID(1);
    int b = bh / heads, h = bh % heads, hd = dim / heads;
    int active = t < seq;
    float scale = 1.0f / SQRTF((float) hd);
    float q[ATT_HD], acc[ATT_HD], sc[ATT_KEYS];
    int base = qkvOff + b * seq * 3 * dim + h * hd; /* q of row r at base + r·3·dim, k at + dim, v at + 2·dim */
    for (int i = 0; i < ATT_HD; i++) {
        q[i] = i < hd ? (qkv[base + (active ? t : 0) * 3 * dim + i] + (hasBias ? bias[h * hd + i] : 0.0f)) * scale : 0.0f;
        acc[i] = 0.0f;
    }
    float m = -3.0e38f, l = 0.0f;
    int len = active ? (causal ? t + 1 : seq) : 0;
    int groupEnd = causal ? (GROUP_ID(0) + 1) * ATT_QUERIES : seq; /* the last key any query of the group needs */
    if (groupEnd > seq) groupEnd = seq;
    for (int s0 = 0; s0 < groupEnd; s0 += ATT_KEYS) {
        stage_rows_biased(ks, ATT_HD, qkv, base + dim, 3 * dim, s0, seq, hd, bias, dim + h * hd, hasBias);
        stage_rows_biased(vs, ATT_HD, qkv, base + 2 * dim, 3 * dim, s0, seq, hd, bias, 2 * dim + h * hd, hasBias);
        SYNC_THREADS();
        int n = len - s0;
        if (n > ATT_KEYS) n = ATT_KEYS;
        if (n > 0) {
            float cm = m;
            for (int j = 0; j < ATT_KEYS; j++) {
                /* four partial sums break the chain of dependent adds; 16-byte local loads: a quarter of the load
                   instructions, which bounded the kernel (every multiply-add needed one) */
                float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
                for (int i = 0; i < ATT_HD; i += 4) {
                    float4 k4 = LOAD4(ks, j * ATT_HD + i);
                    d0 += q[i] * k4.x;
                    d1 += q[i + 1] * k4.y;
                    d2 += q[i + 2] * k4.z;
                    d3 += q[i + 3] * k4.w;
                }
                float dot = (d0 + d1) + (d2 + d3);
                sc[j] = dot;
                if (j < n) cm = FMAXF(cm, dot);
            }
            float corr = EXPF(m - cm);
            l *= corr;
            for (int i = 0; i < ATT_HD; i++) acc[i] *= corr;
            for (int j = 0; j < ATT_KEYS; j++) {
                float p = j < n ? EXPF(sc[j] - cm) : 0.0f;
                l += p;
                for (int i = 0; i < ATT_HD; i += 4) {
                    float4 v4 = LOAD4(vs, j * ATT_HD + i);
                    acc[i] += p * v4.x;
                    acc[i + 1] += p * v4.y;
                    acc[i + 2] += p * v4.z;
                    acc[i + 3] += p * v4.w;
                }
            }
            m = cm;
        }
        SYNC_THREADS();
    }
    if (active) {
        int o = outOff + (b * seq + t) * dim + h * hd;
        for (int i = 0; i < ATT_HD; i++) if (i < hd) out[o + i] = acc[i] / l;
    }
}

/* Row-wise numerically stable softmax, in place. */
KERNEL void softmax_rows(int rows, int cols, GLOBAL float* x, int off) {
    int r = GLOBAL_ID(0);
    if (r >= rows) return;
    GLOBAL float* xr = x + off + r * cols;
    float mx = -3.0e38f;
    for (int i = 0; i < cols; i++) mx = FMAXF(mx, xr[i]);
    float s = 0.0f;
    for (int i = 0; i < cols; i++) { xr[i] = EXPF(xr[i] - mx); s += xr[i]; }
    for (int i = 0; i < cols; i++) xr[i] /= s;
}

/* cols[(c·kh + i)·kw + j][n·oh·ow + y·ow + x] = x[n, c, y·s + i − pad, x·s + j − pad] (zero outside). */
KERNEL void im2col(int n, int c, int h, int w, int kh, int kw, int stride, int pad, int oh, int ow,
                   GLOBAL const float* x, int xOff, GLOBAL float* cols, int colsOff) {
    int idx = GLOBAL_ID(0);
    int total = c * kh * kw * n * oh * ow;
    if (idx >= total) return;
    int spatial = n * oh * ow;
    int row = idx / spatial, col = idx % spatial;
    int ci = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
    int b = col / (oh * ow), oy = (col / ow) % oh, ox = col % ow;
    int iy = oy * stride + ki - pad, ix = ox * stride + kj - pad;
    cols[colsOff + idx] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? x[xOff + ((b * c + ci) * h + iy) * w + ix] : 0.0f;
}

/* [C, N·HW] (GEMM output of a convolution) → NCHW, adding an optional bias per channel. */
KERNEL void cnhw_to_nchw(int n, int c, int hw, GLOBAL const float* in, int inOff, GLOBAL float* out, int outOff) {
    int idx = GLOBAL_ID(0);
    if (idx >= n * c * hw) return;
    int b = idx / (c * hw), ch = (idx / hw) % c, p = idx % hw;
    out[outOff + idx] = in[inOff + ch * n * hw + b * hw + p];
}

KERNEL void avg_pool(int nc, int h, int w, int k, GLOBAL const float* x, int xOff, GLOBAL float* out, int outOff) {
    int oh = h / k, ow = w / k;
    int idx = GLOBAL_ID(0);
    if (idx >= nc * oh * ow) return;
    int plane = idx / (oh * ow), y = (idx / ow) % oh, xx = idx % ow;
    float s = 0.0f;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) s += x[xOff + (plane * h + y * k + i) * w + xx * k + j];
    out[outOff + idx] = s / (float) (k * k);
}

/* Eval-mode BatchNorm (+ optional ReLU) in place over NCHW. */
KERNEL void batch_norm(int n, int c, int hw, GLOBAL float* x, int xOff, GLOBAL const float* mean, GLOBAL const float* var,
                       GLOBAL const float* g, GLOBAL const float* b, float eps, int relu) {
    int idx = GLOBAL_ID(0);
    if (idx >= n * c * hw) return;
    int ch = (idx / hw) % c;
    float v = (x[xOff + idx] - mean[ch]) / SQRTF(var[ch] + eps) * g[ch] + b[ch];
    x[xOff + idx] = (relu && v < 0.0f) ? 0.0f : v;
}

/* out[t, :] = table[tokens[t], :] */
KERNEL void embedding_gather(int n, int width, GLOBAL const int* tokens, GLOBAL const float* table, GLOBAL float* out, int outOff) {
    int idx = GLOBAL_ID(0);
    if (idx >= n * width) return;
    int t = idx / width, i = idx % width;
    out[outOff + idx] = table[tokens[t] * width + i];
}

/* out[r, :] = x[rowIndex[r], :] (class token, first-EOT pooling) */
KERNEL void gather_rows(int rows, int width, GLOBAL const int* rowIndex, GLOBAL const float* x, int xOff, GLOBAL float* out, int outOff) {
    int idx = GLOBAL_ID(0);
    if (idx >= rows * width) return;
    int r = idx / width, i = idx % width;
    out[outOff + idx] = x[xOff + rowIndex[r] * width + i];
}

/*
 * AdamW step with decoupled weight decay: decay = 1 − lr·wd, bc2Sqrt = √(1 − β2^t), stepSize = lr/(1 − β1^t). The
 * gradient and both moments share one layout (a region per parameter at stateOff of flat buffers), the parameter
 * has its own buffer.
 */
KERNEL void adamw(int n, GLOBAL float* p, int pOff, GLOBAL const float* g, GLOBAL float* m, GLOBAL float* v, int stateOff,
                  float gradScale, float decay, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps) {
    /* The CPU optimiser's operation order (OptimizerKernels.adamW); the step's scalars come from the host and
     * gradScale folds global-norm clipping into the read, so the gradients are never rewritten. */
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    int s = stateOff + i;
    float gi = g[s] * gradScale;
    float wi = p[pOff + i] * decay;
    float mi = m[s] + (gi - m[s]) * (1.0f - beta1);
    float vi = v[s] * beta2 + gi * (1.0f - beta2) * gi;
    float denom = SQRTF(vi) / bc2Sqrt + eps;
    m[s] = mi;
    v[s] = vi;
    p[pOff + i] = wi - (mi / denom) * stepSize;
}

/* Elements each work-item of sum_squares adds in float before the tree: bounds the float error of a partial sum. */
#define SUMSQ_PER_ITEM 32

/*
 * partial[group] = Σ x[off + i]² over the group's ROW_BLOCK · SUMSQ_PER_ITEM consecutive elements (coalesced
 * strides of ROW_BLOCK), then a fixed tree: deterministic. The host adds the partials in double.
 */
KERNEL void sum_squares(int n, GLOBAL const float* x, int off, GLOBAL float* partial) {
    SHARED float buf[ROW_BLOCK];
    int grp = GROUP_ID(0), t = LOCAL_ID(0);
    int base = grp * (ROW_BLOCK * SUMSQ_PER_ITEM) + t;
    float s = 0.0f;
    for (int k = 0; k < SUMSQ_PER_ITEM; k++) {
        int i = base + k * ROW_BLOCK;
        if (i < n) { float v = x[off + i]; s += v * v; }
    }
    float total = row_block_sum(buf, s);
    if (t == 0) partial[grp] = total;
}

/*
 * Symmetric contrastive loss over logits [n, n] (already scaled): per-row CE of rows and of columns, with
 * targets on the diagonal. Writes per-row/column losses to rowLoss[0..2n) and dLogits = (softmax_rows −
 * I)/(2n) + (softmax_cols − I)/(2n). One work-item per index r handles row r and column r.
 */
KERNEL void contrastive_loss(int n, GLOBAL const float* logits, GLOBAL float* rowLoss, GLOBAL float* dLogits) {
    int r = GLOBAL_ID(0);
    if (r >= n) return;
    float mx = -3.0e38f, s = 0.0f;
    for (int j = 0; j < n; j++) mx = FMAXF(mx, logits[r * n + j]);
    for (int j = 0; j < n; j++) s += EXPF(logits[r * n + j] - mx);
    rowLoss[r] = mx + LOGF(s) - logits[r * n + r];
    float inv = 1.0f / (2.0f * n);
    for (int j = 0; j < n; j++) dLogits[r * n + j] = (EXPF(logits[r * n + j] - mx) / s - (j == r ? 1.0f : 0.0f)) * inv;
}

KERNEL void contrastive_loss_columns(int n, GLOBAL const float* logits, GLOBAL float* colLoss, int colOff, GLOBAL float* dLogits) {
    int c = GLOBAL_ID(0);
    if (c >= n) return;
    float mx = -3.0e38f, s = 0.0f;
    for (int i = 0; i < n; i++) mx = FMAXF(mx, logits[i * n + c]);
    for (int i = 0; i < n; i++) s += EXPF(logits[i * n + c] - mx);
    colLoss[colOff + c] = mx + LOGF(s) - logits[c * n + c];
    float inv = 1.0f / (2.0f * n);
    for (int i = 0; i < n; i++) dLogits[i * n + c] += (EXPF(logits[i * n + c] - mx) / s - (i == c ? 1.0f : 0.0f)) * inv;
}

/*
 * float32 → bfloat16 (round to nearest even, NaN kept quiet) and back; bf16 values travel as ushort.
 * y[yOff + i] = bf16(x[xOff + i]) for i < n: whole buffers (offsets 0) and a GEMM operand's span before a BF16 GEMM.
 */
KERNEL void f32_to_bf16(int n, GLOBAL const float* x, int xOff, GLOBAL USHORT* y, int yOff) {
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    UINT u = AS_UINT(x[xOff + i]);
    if ((u & 0x7fffffffu) > 0x7f800000u) { y[yOff + i] = (USHORT) ((u >> 16) | 0x40u); return; }
    y[yOff + i] = (USHORT) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

KERNEL void bf16_to_f32(int n, GLOBAL const USHORT* x, GLOBAL float* y) {
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    y[i] = AS_FLOAT(((UINT) x[i]) << 16);
}

/*
 * ViT token rows from the patch convolution: conv is channel-major [n, width, patches] (NCHW of the conv
 * output), out is token-major [n, 1 + patches, width] with the class embedding as row 0 of each image.
 * The positional embedding is added afterwards by add_row_vector over rows of (1 + patches)·width.
 */
KERNEL void patch_tokens(int n, int width, int patches, GLOBAL const float* conv, int convOff,
                         GLOBAL const float* cls, GLOBAL float* out, int outOff) {
    int idx = GLOBAL_ID(0);
    int perImage = (1 + patches) * width;
    if (idx >= n * perImage) return;
    int b = idx / perImage, t = (idx / width) % (1 + patches), c = idx % width;
    out[outOff + idx] = t == 0 ? cls[c] : conv[convOff + (b * width + c) * patches + (t - 1)];
}

/*
 * Attention-pool token rows from an NCHW map x [n, channels, hw]: out [n, 1 + hw, channels] holds the
 * spatial mean as row 0 and the pixels (transposed to token-major) after it. One work-item per output value;
 * the mean is recomputed by each of the channels' row-0 items only.
 */
KERNEL void mean_tokens(int n, int channels, int hw, GLOBAL const float* x, int xOff, GLOBAL float* out, int outOff) {
    int idx = GLOBAL_ID(0);
    int perImage = (1 + hw) * channels;
    if (idx >= n * perImage) return;
    int b = idx / perImage, t = (idx / channels) % (1 + hw), c = idx % channels;
    GLOBAL const float* plane = x + xOff + (b * channels + c) * hw;
    if (t > 0) { out[outOff + idx] = plane[t - 1]; return; }
    float s = 0.0f;
    for (int i = 0; i < hw; i++) s += plane[i];
    out[outOff + idx] = s / (float) hw;
}

/* out[outOff + r·outStride + i] = x[xOff + r·xStride + i] for i < width (class token, pooled query rows). */
KERNEL void copy_rows(int rows, int width, GLOBAL const float* x, int xOff, int xStride, GLOBAL float* out, int outOff, int outStride) {
    int idx = GLOBAL_ID(0);
    if (idx >= rows * width) return;
    int r = idx / width, i = idx % width;
    out[outOff + r * outStride + i] = x[xOff + r * xStride + i];
}

/* x[off + i] = value */
KERNEL void fill(int n, float value, GLOBAL float* x, int off) {
    int i = GLOBAL_ID(0);
    if (i >= n) return;
    x[off + i] = value;
}

/*
 * LayerNorm gain and bias gradients: dg[c] += Σ_r dy[r, c]·x̂[r, c], db[c] += Σ_r dy[r, c], with x̂ from the
 * (mean, 1/std) pairs layer_norm saved. Tiled as column_sum (deterministic).
 */
KERNEL void layer_norm_param_grads(int rows, int dim, GLOBAL const float* x, int xOff, GLOBAL const float* stats, int statsOff,
                                   GLOBAL const float* dy, int dyOff, GLOBAL float* dg, int dgOff, GLOBAL float* db, int dbOff) {
    SHARED float buf[COL_ROWS * 32];
    int c = GLOBAL_ID(0), ty = LOCAL_ID(1);
    float sg = 0.0f, sb = 0.0f;
    if (c < dim) {
        for (int r = ty; r < rows; r += COL_ROWS) {
            float g = dy[dyOff + r * dim + c];
            sg += g * (x[xOff + r * dim + c] - stats[statsOff + 2 * r]) * stats[statsOff + 2 * r + 1];
            sb += g;
        }
    }
    sg = column_tile_sum(buf, sg);
    sb = column_tile_sum(buf, sb);
    if (c < dim && ty == 0) { dg[dgOff + c] += sg; db[dbOff + c] += sb; }
}

/*
 * out[outOff + index[r]·width + i] += x[xOff + r·width + i]: embedding-table gradients and row scatters. One
 * work-item per column walks the rows in order, so repeated indexes accumulate without races or atomics.
 */
KERNEL void scatter_add_rows(int rows, int width, GLOBAL const int* index, GLOBAL const float* x, int xOff,
                             GLOBAL float* out, int outOff) {
    int i = GLOBAL_ID(0);
    if (i >= width) return;
    for (int r = 0; r < rows; r++) out[outOff + index[r] * width + i] += x[xOff + r * width + i];
}

/*
 * Attention backward, flash style in three passes over (batch·head, 32 positions) work-groups, every output written
 * once by one work-item (no atomics, deterministic). With s_ts = scale·q_t·k_s, P_ts = exp(s_ts − lse_t),
 * dP_ts = dO_t·v_s and D_t = Σ_s P_ts dP_ts:  dv_s = Σ_t P_ts dO_t,  dk_s = scale Σ_t P_ts (dP_ts − D_t) q_t,
 * dq_t = scale Σ_s P_ts (dP_ts − D_t) k_s.
 *
 * Pass 1, per query t: stats[2j] = lse_t, stats[2j + 1] = D_t (j = bh·seq + t), streaming K and V through local
 * memory with the forward's online softmax; the group's dO rows sit in local memory.
 */
KERNEL void attention_backward_stats(int batch, int seq, int dim, int heads, int causal, GLOBAL const float* qkv, int qkvOff,
                                     GLOBAL const float* dOut, int dOutOff, GLOBAL float* stats, int statsOff) {
    SHARED float ks[ATT_KEYS * ATT_HD];
    SHARED float vs[ATT_KEYS * ATT_HD];
    SHARED float dos[ATT_QUERIES * ATT_LD];
    int lt = LOCAL_ID(0), t0 = GROUP_ID(0) * ATT_QUERIES, t = t0 + lt, bh = GROUP_ID(1);
    int b = bh / heads, h = bh % heads, hd = dim / heads;
    int active = t < seq;
    float scale = 1.0f / SQRTF((float) hd);
    int base = qkvOff + b * seq * 3 * dim + h * hd, obase = dOutOff + b * seq * dim + h * hd;
    stage_rows(dos, ATT_LD, dOut, obase, dim, t0, seq, hd);
    float q[ATT_HD], sc[ATT_KEYS];
    for (int i = 0; i < ATT_HD; i++) q[i] = i < hd ? qkv[base + (active ? t : 0) * 3 * dim + i] * scale : 0.0f;
    float m = -3.0e38f, l = 0.0f, dsum = 0.0f;
    int len = active ? (causal ? t + 1 : seq) : 0;
    int groupEnd = causal ? t0 + ATT_QUERIES : seq;
    if (groupEnd > seq) groupEnd = seq;
    for (int s0 = 0; s0 < groupEnd; s0 += ATT_KEYS) {
        stage_rows(ks, ATT_HD, qkv, base + dim, 3 * dim, s0, seq, hd);
        stage_rows(vs, ATT_HD, qkv, base + 2 * dim, 3 * dim, s0, seq, hd);
        SYNC_THREADS();
        int n = len - s0;
        if (n > ATT_KEYS) n = ATT_KEYS;
        if (n > 0) {
            float cm = m;
            for (int j = 0; j < ATT_KEYS; j++) {
                float dot = 0.0f;
                for (int i = 0; i < ATT_HD; i++) dot += q[i] * ks[j * ATT_HD + i];
                sc[j] = dot;
                if (j < n) cm = FMAXF(cm, dot);
            }
            float corr = EXPF(m - cm);
            l *= corr;
            dsum *= corr;
            for (int j = 0; j < ATT_KEYS; j++) {
                if (j < n) {
                    float p = EXPF(sc[j] - cm), dp = 0.0f;
                    for (int i = 0; i < ATT_HD; i++) dp += dos[lt * ATT_LD + i] * vs[j * ATT_HD + i];
                    l += p;
                    dsum += p * dp;
                }
            }
            m = cm;
        }
        SYNC_THREADS();
    }
    if (active) {
        stats[statsOff + 2 * (bh * seq + t)] = m + LOGF(l);
        stats[statsOff + 2 * (bh * seq + t) + 1] = dsum / l;
    }
}

/* Pass 2, per query t: dq_t, streaming K and V through local memory (stats from pass 1). */
KERNEL void attention_backward_dq(int batch, int seq, int dim, int heads, int causal, GLOBAL const float* qkv, int qkvOff,
                                  GLOBAL const float* dOut, int dOutOff, GLOBAL const float* stats, int statsOff,
                                  GLOBAL float* dqkv, int dqkvOff) {
    SHARED float ks[ATT_KEYS * ATT_HD];
    SHARED float vs[ATT_KEYS * ATT_HD];
    SHARED float dos[ATT_QUERIES * ATT_LD];
    int lt = LOCAL_ID(0), t0 = GROUP_ID(0) * ATT_QUERIES, t = t0 + lt, bh = GROUP_ID(1);
    int b = bh / heads, h = bh % heads, hd = dim / heads;
    int active = t < seq;
    float scale = 1.0f / SQRTF((float) hd);
    int base = qkvOff + b * seq * 3 * dim + h * hd, obase = dOutOff + b * seq * dim + h * hd;
    stage_rows(dos, ATT_LD, dOut, obase, dim, t0, seq, hd);
    float q[ATT_HD], dq[ATT_HD];
    for (int i = 0; i < ATT_HD; i++) { q[i] = i < hd ? qkv[base + (active ? t : 0) * 3 * dim + i] * scale : 0.0f; dq[i] = 0.0f; }
    float lse = active ? stats[statsOff + 2 * (bh * seq + t)] : 0.0f, dd = active ? stats[statsOff + 2 * (bh * seq + t) + 1] : 0.0f;
    int len = active ? (causal ? t + 1 : seq) : 0;
    int groupEnd = causal ? t0 + ATT_QUERIES : seq;
    if (groupEnd > seq) groupEnd = seq;
    for (int s0 = 0; s0 < groupEnd; s0 += ATT_KEYS) {
        stage_rows(ks, ATT_HD, qkv, base + dim, 3 * dim, s0, seq, hd);
        stage_rows(vs, ATT_HD, qkv, base + 2 * dim, 3 * dim, s0, seq, hd);
        SYNC_THREADS();
        int n = len - s0;
        if (n > ATT_KEYS) n = ATT_KEYS;
        for (int j = 0; j < ATT_KEYS; j++) {
            if (j < n) {
                float dot = 0.0f, dp = 0.0f;
                for (int i = 0; i < ATT_HD; i++) { dot += q[i] * ks[j * ATT_HD + i]; dp += dos[lt * ATT_LD + i] * vs[j * ATT_HD + i]; }
                float ds = EXPF(dot - lse) * (dp - dd);
                for (int i = 0; i < ATT_HD; i++) dq[i] += ds * ks[j * ATT_HD + i];
            }
        }
        SYNC_THREADS();
    }
    if (active) {
        int o = dqkvOff + (b * seq + t) * 3 * dim + h * hd;
        for (int i = 0; i < ATT_HD; i++) if (i < hd) dqkv[o + i] = dq[i] * scale;
    }
}

/* Pass 3, per key s: dk_s and dv_s, streaming the queries' q, dO and stats through local memory. */
KERNEL void attention_backward_dkv(int batch, int seq, int dim, int heads, int causal, GLOBAL const float* qkv, int qkvOff,
                                   GLOBAL const float* dOut, int dOutOff, GLOBAL const float* stats, int statsOff,
                                   GLOBAL float* dqkv, int dqkvOff) {
    SHARED float qs[ATT_KEYS * ATT_HD];
    SHARED float dos[ATT_KEYS * ATT_HD];
    SHARED float kown[ATT_QUERIES * ATT_LD];
    SHARED float vown[ATT_QUERIES * ATT_LD];
    SHARED float lses[ATT_KEYS];
    SHARED float dds[ATT_KEYS];
    int lt = LOCAL_ID(0), s0 = GROUP_ID(0) * ATT_QUERIES, s = s0 + lt, bh = GROUP_ID(1);
    int b = bh / heads, h = bh % heads, hd = dim / heads;
    int active = s < seq;
    float scale = 1.0f / SQRTF((float) hd);
    int base = qkvOff + b * seq * 3 * dim + h * hd, obase = dOutOff + b * seq * dim + h * hd;
    stage_rows(kown, ATT_LD, qkv, base + dim, 3 * dim, s0, seq, hd);
    stage_rows(vown, ATT_LD, qkv, base + 2 * dim, 3 * dim, s0, seq, hd);
    float dk[ATT_HD], dv[ATT_HD];
    for (int i = 0; i < ATT_HD; i++) { dk[i] = 0.0f; dv[i] = 0.0f; }
    for (int t0 = causal ? s0 : 0; t0 < seq; t0 += ATT_KEYS) { /* under the mask, queries before s0 see none of these keys */
        stage_rows(qs, ATT_HD, qkv, base, 3 * dim, t0, seq, hd);
        stage_rows(dos, ATT_HD, dOut, obase, dim, t0, seq, hd);
        if (lt < ATT_KEYS) {
            int tt = t0 + lt;
            lses[lt] = tt < seq ? stats[statsOff + 2 * (bh * seq + tt)] : 0.0f;
            dds[lt] = tt < seq ? stats[statsOff + 2 * (bh * seq + tt) + 1] : 0.0f;
        }
        SYNC_THREADS();
        if (active) {
            for (int k = 0; k < ATT_KEYS; k++) {
                int t = t0 + k;
                if (t < seq && (!causal || t >= s)) {
                    float dot = 0.0f, dp = 0.0f;
                    for (int i = 0; i < ATT_HD; i++) { dot += qs[k * ATT_HD + i] * kown[lt * ATT_LD + i]; dp += dos[k * ATT_HD + i] * vown[lt * ATT_LD + i]; }
                    float p = EXPF(dot * scale - lses[k]), ds = p * (dp - dds[k]);
                    for (int i = 0; i < ATT_HD; i++) { dv[i] += p * dos[k * ATT_HD + i]; dk[i] += ds * qs[k * ATT_HD + i]; }
                }
            }
        }
        SYNC_THREADS();
    }
    if (active) {
        int o = dqkvOff + (b * seq + s) * 3 * dim + h * hd;
        for (int i = 0; i < ATT_HD; i++) if (i < hd) { dqkv[o + dim + i] = dk[i] * scale; dqkv[o + 2 * dim + i] = dv[i]; }
    }
}
