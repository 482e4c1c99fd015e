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

    private record Block(DeviceBuffer ln1W, DeviceBuffer ln1B, DeviceBuffer inW, DeviceBuffer inB, DeviceBuffer outW, DeviceBuffer outB,
                         DeviceBuffer ln2W, DeviceBuffer ln2B, DeviceBuffer fcW, DeviceBuffer fcB, DeviceBuffer projW, DeviceBuffer projB) {}

    /** Scratch regions of one block for a given row count: normed input, [q|k|v], attention output, MLP hidden. */
    record Scratch(int ln, int qkv, int attn, int hidden) {
        static Scratch plan(Layout l, int rows, int width) {
            return new Scratch(l.take((long) rows * width), l.take(3L * rows * width), l.take((long) rows * width), l.take(4L * rows * width));
        }
    }

    DeviceTransformer(Device d, DeviceWeights w, String prefix, int width, int layers, int heads) {
        this.d = d;
        this.width = width;
        this.heads = heads;
        blocks = new Block[layers];
        for (int i = 0; i < layers; i++) {
            String p = prefix + ".resblocks." + i;
            blocks[i] = new Block(w.get(p + ".ln_1.weight"), w.get(p + ".ln_1.bias"), w.get(p + ".attn.in_proj_weight"),
                    w.get(p + ".attn.in_proj_bias"), w.get(p + ".attn.out_proj.weight"), w.get(p + ".attn.out_proj.bias"),
                    w.get(p + ".ln_2.weight"), w.get(p + ".ln_2.bias"), w.get(p + ".mlp.c_fc.weight"), w.get(p + ".mlp.c_fc.bias"),
                    w.get(p + ".mlp.c_proj.weight"), w.get(p + ".mlp.c_proj.bias"));
        }
    }

    void forward(DeviceBuffer a, int x, int batch, int seq, boolean causal, Scratch s) {
        int rows = batch * seq, dm = width;
        for (Block b : blocks) {
            d.layerNorm(rows, dm, a, x, b.ln1W, b.ln1B, a, s.ln, EPS, null);
            d.gemmNT(rows, 3 * dm, dm, a, s.ln, b.inW, 0, b.inB, a, s.qkv, false);
            d.attention(batch, seq, dm, heads, causal, a, s.qkv, a, s.attn);
            d.gemmNT(rows, dm, dm, a, s.attn, b.outW, 0, b.outB, a, x, true);
            d.layerNorm(rows, dm, a, x, b.ln2W, b.ln2B, a, s.ln, EPS, null);
            d.gemmNT(rows, 4 * dm, dm, a, s.ln, b.fcW, 0, b.fcB, a, s.hidden, false);
            d.quickGelu(rows * 4 * dm, a, s.hidden);
            d.gemmNT(rows, dm, 4 * dm, a, s.hidden, b.projW, 0, b.projB, a, x, true);
        }
    }
}
