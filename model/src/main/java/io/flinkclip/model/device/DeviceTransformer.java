package io.flinkclip.model.device;

import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/**
 * A stack of OpenAI ResidualAttentionBlocks (pre-LN; x += out_proj(MHA(ln_1 x)); x += c_proj(QuickGELU(c_fc(ln_2 x))))
 * on a device, in place on the residual stream x [batch·seq, width]. All blocks share one set of scratch regions.
 */
final class DeviceTransformer {
    private static final float EPS = 1e-5f;
    private final Device d;
    private final int width, heads;
    private final Block[] blocks;

    /** One block's weights; {@code name} prefixes its parameter (and gradient) names. */
    private record Block(String name, DeviceBuffer ln1W, DeviceBuffer ln1B, DeviceBuffer inW, DeviceBuffer inB, DeviceBuffer outW, DeviceBuffer outB,
                         DeviceBuffer ln2W, DeviceBuffer ln2B, DeviceBuffer fcW, DeviceBuffer fcB, DeviceBuffer projW, DeviceBuffer projB) {}

    /** Scratch regions of one block for a given row count: normed input, [q|k|v], attention output, MLP hidden. */
    record Scratch(int ln, int qkv, int attn, int hidden) {
        static Scratch plan(Layout l, int rows, int width) {
            return new Scratch(l.take((long) rows * width), l.take(3L * rows * width), l.take((long) rows * width), l.take(4L * rows * width));
        }
    }

    /** Activations one block keeps for the backward pass (training), each a region of the arena. */
    record Saved(int xIn, int ln1, int stats1, int qkv, int attn, int xMid, int ln2, int stats2, int hPre, int h) {
        static Saved plan(Layout l, int rows, int width) {
            long r = rows, d = width;
            return new Saved(l.take(r * d), l.take(r * d), l.take(2 * r), l.take(3 * r * d), l.take(r * d), l.take(r * d), l.take(r * d),
                    l.take(2 * r), l.take(4 * r * d), l.take(4 * r * d));
        }
    }

    /** Backward scratch shared by all blocks. */
    record BackScratch(int dh, int dln, int dattn, int dqkv, int attnScratch) {
        static BackScratch plan(Layout l, int batch, int seq, int width, int heads) {
            long r = (long) batch * seq, d = width;
            return new BackScratch(l.take(4 * r * d), l.take(r * d), l.take(r * d), l.take(3 * r * d),
                    l.take(Device.attentionBackwardScratch(batch, seq, heads)));
        }
    }

    Saved[] planSaved(Layout l, int rows) {
        Saved[] s = new Saved[blocks.length];
        for (int i = 0; i < s.length; i++) s[i] = Saved.plan(l, rows, width);
        return s;
    }

    BackScratch planBackward(Layout l, int batch, int seq) { return BackScratch.plan(l, batch, seq, width, heads); }

    DeviceTransformer(Device d, DeviceWeights w, String prefix, int width, int layers, int heads) {
        this.d = d;
        this.width = width;
        this.heads = heads;
        blocks = new Block[layers];
        for (int i = 0; i < layers; i++) {
            String p = prefix + ".resblocks." + i;
            blocks[i] = new Block(p, w.get(p + ".ln_1.weight"), w.get(p + ".ln_1.bias"), w.get(p + ".attn.in_proj_weight"),
                    w.get(p + ".attn.in_proj_bias"), w.get(p + ".attn.out_proj.weight"), w.get(p + ".attn.out_proj.bias"),
                    w.get(p + ".ln_2.weight"), w.get(p + ".ln_2.bias"), w.get(p + ".mlp.c_fc.weight"), w.get(p + ".mlp.c_fc.bias"),
                    w.get(p + ".mlp.c_proj.weight"), w.get(p + ".mlp.c_proj.bias"));
        }
    }

    /**
     * Inference forward. No bias has a pass of its own: the GEMMs that accumulate into x leave theirs to the next
     * LayerNorm's pass over x ({@link Device#layerNormAfterBias}), in_proj's is added as attention reads q, k and v, and
     * c_fc's rides on the QuickGELU pass. On a GPU each separate bias pass cost as much memory traffic as a LayerNorm.
     */
    void forward(DeviceBuffer a, int x, int batch, int seq, boolean causal, Scratch s) {
        int rows = batch * seq, dm = width;
        DeviceBuffer pendingBias = null; // c_proj's bias of the previous block, not yet added to x
        for (Block b : blocks) {
            if (pendingBias == null) d.layerNorm(rows, dm, a, x, b.ln1W, b.ln1B, a, s.ln, EPS, null);
            else d.layerNormAfterBias(rows, dm, a, x, pendingBias, b.ln1W, b.ln1B, a, s.ln, EPS);
            d.gemmNT(rows, 3 * dm, dm, a, s.ln, b.inW, 0, null, a, s.qkv, false);
            d.attention(batch, seq, dm, heads, causal, a, s.qkv, b.inB, a, s.attn);
            d.gemmNT(rows, dm, dm, a, s.attn, b.outW, 0, null, a, x, true);
            d.layerNormAfterBias(rows, dm, a, x, b.outB, b.ln2W, b.ln2B, a, s.ln, EPS);
            d.gemmNT(rows, 4 * dm, dm, a, s.ln, b.fcW, 0, null, a, s.hidden, false);
            d.biasQuickGelu(rows, 4 * dm, a, s.hidden, b.fcB);
            d.gemmNT(rows, dm, 4 * dm, a, s.hidden, b.projW, 0, null, a, x, true);
            pendingBias = b.projB;
        }
        if (pendingBias != null) d.addRowVector(rows, dm, a, x, pendingBias, 0);
    }

    /** Training forward: as {@link #forward}, each block keeping its input, LayerNorm statistics and activations. */
    void forwardTrain(DeviceBuffer a, int x, int batch, int seq, boolean causal, Saved[] saved) {
        int rows = batch * seq, dm = width;
        for (int i = 0; i < blocks.length; i++) {
            Block b = blocks[i];
            Saved s = saved[i];
            d.copyRows(1, rows * dm, a, x, 0, a, s.xIn, 0);
            d.layerNorm(rows, dm, a, x, b.ln1W, b.ln1B, a, s.ln1, EPS, a, s.stats1);
            d.gemmNT(rows, 3 * dm, dm, a, s.ln1, b.inW, 0, b.inB, a, s.qkv, false);
            d.attention(batch, seq, dm, heads, causal, a, s.qkv, a, s.attn);
            d.gemmNT(rows, dm, dm, a, s.attn, b.outW, 0, b.outB, a, x, true);
            d.copyRows(1, rows * dm, a, x, 0, a, s.xMid, 0);
            d.layerNorm(rows, dm, a, x, b.ln2W, b.ln2B, a, s.ln2, EPS, a, s.stats2);
            d.gemmNT(rows, 4 * dm, dm, a, s.ln2, b.fcW, 0, b.fcB, a, s.hPre, false);
            d.copyRows(1, rows * 4 * dm, a, s.hPre, 0, a, s.h, 0);
            d.quickGelu(rows * 4 * dm, a, s.h);
            d.gemmNT(rows, dm, 4 * dm, a, s.h, b.projW, 0, b.projB, a, x, true);
        }
    }

    /**
     * Backward through all blocks, in place on dx [batch·seq, width] (d output → d input), accumulating parameter
     * gradients into {@code g}. Linear layers y = x·Wᵀ + b: dW += dyᵀ·x, db += Σ dy, dx = dy·W.
     */
    void backward(DeviceBuffer a, int dx, int batch, int seq, boolean causal, Saved[] saved, BackScratch t, DeviceGradients g) {
        int rows = batch * seq, dm = width;
        DeviceBuffer gb = g.buffer();
        for (int i = blocks.length - 1; i >= 0; i--) {
            Block b = blocks[i];
            Saved s = saved[i];
            String p = b.name;
            // MLP: x += c_proj(QuickGELU(c_fc(ln_2 x)))
            d.gemmTN(dm, 4 * dm, rows, a, dx, a, s.h, gb, g.offset(p + ".mlp.c_proj.weight"), true);
            d.columnSum(rows, dm, a, dx, gb, g.offset(p + ".mlp.c_proj.bias"));
            d.gemmNN(rows, 4 * dm, dm, a, dx, b.projW, 0, a, t.dh, false);
            d.quickGeluBackward(rows * 4 * dm, a, s.hPre, a, t.dh, a, t.dh);
            d.gemmTN(4 * dm, dm, rows, a, t.dh, a, s.ln2, gb, g.offset(p + ".mlp.c_fc.weight"), true);
            d.columnSum(rows, 4 * dm, a, t.dh, gb, g.offset(p + ".mlp.c_fc.bias"));
            d.gemmNN(rows, dm, 4 * dm, a, t.dh, b.fcW, 0, a, t.dln, false);
            d.layerNormParamGrads(rows, dm, a, s.xMid, a, s.stats2, a, t.dln, gb, g.offset(p + ".ln_2.weight"), gb, g.offset(p + ".ln_2.bias"));
            d.layerNormBackward(rows, dm, a, s.xMid, b.ln2W, a, s.stats2, a, t.dln, a, dx);
            // attention: x += out_proj(MHA(ln_1 x))
            d.gemmTN(dm, dm, rows, a, dx, a, s.attn, gb, g.offset(p + ".attn.out_proj.weight"), true);
            d.columnSum(rows, dm, a, dx, gb, g.offset(p + ".attn.out_proj.bias"));
            d.gemmNN(rows, dm, dm, a, dx, b.outW, 0, a, t.dattn, false);
            d.attentionBackward(batch, seq, dm, heads, causal, a, s.qkv, a, t.dattn, a, t.dqkv, a, t.attnScratch);
            d.gemmTN(3 * dm, dm, rows, a, t.dqkv, a, s.ln1, gb, g.offset(p + ".attn.in_proj_weight"), true);
            d.columnSum(rows, 3 * dm, a, t.dqkv, gb, g.offset(p + ".attn.in_proj_bias"));
            d.gemmNN(rows, dm, 3 * dm, a, t.dqkv, b.inW, 0, a, t.dln, false);
            d.layerNormParamGrads(rows, dm, a, s.xIn, a, s.stats1, a, t.dln, gb, g.offset(p + ".ln_1.weight"), gb, g.offset(p + ".ln_1.bias"));
            d.layerNormBackward(rows, dm, a, s.xIn, b.ln1W, a, s.stats1, a, t.dln, a, dx);
        }
    }
}
