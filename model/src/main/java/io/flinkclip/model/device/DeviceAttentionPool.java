package io.flinkclip.model.device;

import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/**
 * CLIP's AttentionPool2d on a device: tokens = [spatial mean; pixels] + positional embedding, multi-head
 * attention with separate q/k/v projections written straight into the packed [q | k | v] rows the attention
 * kernel reads (strided GEMM outputs), and c_proj of the mean token's output. Only the mean tokens' queries are
 * projected (the other query rows are never read into a used output).
 */
final class DeviceAttentionPool {
    private final Device d;
    private final int hw, tokens, channels, heads, outDim;
    private final DeviceBuffer positional, qW, qB, kW, kB, vW, vB, cW, cB;

    record Plan(int tokens, int qkv, int attn, int out) {}

    DeviceAttentionPool(Device d, DeviceWeights w, String name, int spatial, int channels, int heads, int outDim) {
        this.d = d;
        this.hw = spatial * spatial;
        this.tokens = hw + 1;
        this.channels = channels;
        this.heads = heads;
        this.outDim = outDim;
        positional = w.get(name + ".positional_embedding");
        qW = w.get(name + ".q_proj.weight");
        qB = w.get(name + ".q_proj.bias");
        kW = w.get(name + ".k_proj.weight");
        kB = w.get(name + ".k_proj.bias");
        vW = w.get(name + ".v_proj.weight");
        vB = w.get(name + ".v_proj.bias");
        cW = w.get(name + ".c_proj.weight");
        cB = w.get(name + ".c_proj.bias");
    }

    Plan plan(Layout l, int n) {
        long rows = (long) n * tokens;
        return new Plan(l.take(rows * channels), l.take(3 * rows * channels), l.take(rows * channels), l.take((long) n * outDim));
    }

    /** x [n, channels, spatial, spatial] at {@code x} → features [n, outDim] at the returned offset. */
    int forward(DeviceBuffer a, int n, int x, Plan p) {
        int c = channels, rows = n * tokens;
        d.meanTokens(n, c, hw, a, x, a, p.tokens);
        d.addRowVector(n, tokens * c, a, p.tokens, positional, 0);
        // q of each image's mean token (row stride tokens·c) into the q part of its first packed row
        d.gemm(n, c, c, a, p.tokens, tokens * c, 1, qW, 0, 1, c, qB, 0, a, p.qkv, tokens * 3 * c, 0f);
        d.gemm(rows, c, c, a, p.tokens, c, 1, kW, 0, 1, c, kB, 0, a, p.qkv + c, 3 * c, 0f);
        d.gemm(rows, c, c, a, p.tokens, c, 1, vW, 0, 1, c, vB, 0, a, p.qkv + 2 * c, 3 * c, 0f);
        d.attention(n, tokens, c, heads, false, a, p.qkv, a, p.attn);
        d.gemm(n, outDim, c, a, p.attn, tokens * c, 1, cW, 0, 1, c, cB, 0, a, p.out, outDim, 0f);
        return p.out;
    }
}
