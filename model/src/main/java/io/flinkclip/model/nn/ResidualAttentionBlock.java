package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Ops;

/**
 * OpenAI's ResidualAttentionBlock (pre-LN): x += out_proj(MHA(ln_1(x))); x += c_proj(QuickGELU(c_fc(ln_2(x)))).
 * {@code attn.in_proj_weight} is [3d, d] with q, k, v stacked, so one GEMM yields the [q | k | v] row layout
 * that {@link Ops#attention} reads.
 */
public final class ResidualAttentionBlock {
    public final String name;
    public final int width, heads;
    final LayerNorm ln1, ln2;
    final Linear inProj, outProj, fc, proj;

    ResidualAttentionBlock(Params p, String name, int width, int heads) {
        if (heads <= 0 || width % heads != 0) {
            throw new ClipFormatException(name + ": width " + width + " is not divisible by " + heads + " heads");
        }
        this.name = name;
        this.width = width;
        this.heads = heads;
        ln1 = new LayerNorm(p, name + ".ln_1", width);
        inProj = new Linear(p, name + ".attn.in_proj", name + ".attn.in_proj_weight", name + ".attn.in_proj_bias", width, 3 * width);
        outProj = new Linear(p, name + ".attn.out_proj", width, width, true);
        ln2 = new LayerNorm(p, name + ".ln_2", width);
        fc = new Linear(p, name + ".mlp.c_fc", width, 4 * width, true);
        proj = new Linear(p, name + ".mlp.c_proj", 4 * width, width, true);
    }

    /**
     * Buffers of one block for {@code rows} tokens. For inference one instance serves every block; for
     * training each block keeps its own, with the block input, the mid-residual and the pre-activation saved.
     */
    static final class Acts {
        final float[] ln1, qkv, attn, ln2, h;
        final float[] xIn, xMid, hPre; // training only (null for inference)

        Acts(Arena arena, int rows, int d, boolean keep) {
            ln1 = arena.take(rows * d);
            qkv = arena.take(rows * 3 * d);
            attn = arena.take(rows * d);
            ln2 = arena.take(rows * d);
            h = arena.take(rows * 4 * d);
            xIn = keep ? arena.take(rows * d) : null;
            xMid = keep ? arena.take(rows * d) : null;
            hPre = keep ? arena.take(rows * 4 * d) : null;
        }
    }

    /** In place on x [batch·seq, width]. */
    void forward(float[] x, int batch, int seq, boolean causal, Acts a) {
        int rows = batch * seq, d = width;
        if (a.xIn != null) System.arraycopy(x, 0, a.xIn, 0, rows * d);
        ln1.forward(x, 0, a.ln1, 0, rows);
        inProj.forward(a.ln1, 0, a.qkv, 0, rows, false);
        long t0 = LayerTimes.start();
        Ops.attention(a.qkv, 0, a.attn, 0, batch, seq, d, heads, causal);
        LayerTimes.stop(name + ".attention", t0);
        outProj.forward(a.attn, 0, x, 0, rows, true);
        if (a.xMid != null) System.arraycopy(x, 0, a.xMid, 0, rows * d);
        ln2.forward(x, 0, a.ln2, 0, rows);
        if (a.hPre != null) { // training keeps the pre-activation for the backward pass
            fc.forward(a.ln2, 0, a.hPre, 0, rows, false);
            System.arraycopy(a.hPre, 0, a.h, 0, rows * 4 * d);
            Ops.quickGelu(a.h, 0, rows * 4 * d);
        } else {
            fc.forward(a.ln2, 0, a.h, 0, rows, false, Epilogue.QUICK_GELU);
        }
        proj.forward(a.h, 0, x, 0, rows, true);
    }

    /**
     * The block's output for one token per item only: row {@code rows[b]} of item b is updated in place, the
     * other rows of x are left as they were (stale). For the last block when the caller reads one token per item
     * (the class token, the first EOT): keys and values still come from every token, but the attention, out_proj
     * and the MLP run on batch rows instead of batch·seq (ViT-B/32: 50×, a twelfth of the model's work).
     */
    void forwardRows(float[] x, int batch, int seq, boolean causal, Acts a, int[] rows) {
        int all = batch * seq, d = width;
        ln1.forward(x, 0, a.ln1, 0, all);
        inProj.forward(a.ln1, 0, a.qkv, 0, all, false);
        // The kept rows, dense: their residual stream, attention output, ln_2 output and MLP hidden (buffers of
        // the full-size Acts, which are at least this large).
        float[] xr = new float[batch * d];
        for (int b = 0; b < batch; b++) System.arraycopy(x, (b * seq + rows[b]) * d, xr, b * d, d);
        long t0 = LayerTimes.start();
        Ops.attentionRows(a.qkv, a.attn, batch, seq, d, heads, causal, rows);
        LayerTimes.stop(name + ".attention", t0);
        outProj.forward(a.attn, 0, xr, 0, batch, true);
        ln2.forward(xr, 0, a.ln2, 0, batch);
        fc.forward(a.ln2, 0, a.h, 0, batch, false, Epilogue.QUICK_GELU);
        proj.forward(a.h, 0, xr, 0, batch, true);
        for (int b = 0; b < batch; b++) System.arraycopy(xr, b * d, x, (b * seq + rows[b]) * d, d);
    }

    /** Backward through the block: dx [batch·seq, width] holds d(block output) and becomes d(block input). */
    void backward(float[] dx, int batch, int seq, boolean causal, Acts a, Arena arena, Gradients g) {
        int rows = batch * seq, d = width;
        float[] dh = arena.take(rows * 4 * d), dln = arena.take(rows * d);
        Backprop.linear(proj, a.h, dx, rows, dh, false, g);
        Backprop.quickGelu(a.hPre, dh, rows * 4 * d);
        Backprop.linear(fc, a.ln2, dh, rows, dln, false, g);
        Backprop.layerNorm(ln2, a.xMid, 0, dln, 0, dx, 0, rows, true, g);
        float[] dattn = arena.take(rows * d), dqkv = arena.take(rows * 3 * d);
        Backprop.linear(outProj, a.attn, dx, rows, dattn, false, g);
        Backprop.attention(a.qkv, dattn, dqkv, batch, seq, d, heads, causal);
        Backprop.linear(inProj, a.ln1, dqkv, rows, dln, false, g);
        Backprop.layerNorm(ln1, a.xIn, 0, dln, 0, dx, 0, rows, true, g);
    }
}
