package io.flinkclip.io.arch;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.DType;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

import java.util.SplittableRandom;

/**
 * A freshly initialised CLIP with OpenAI's scheme: PyTorch's module defaults (Linear/Conv kaiming-uniform with
 * a=√5 and uniform biases, MultiheadAttention xavier in_proj and zero biases, norms 1/0, BatchNorm statistics
 * 0/1), then {@code CLIP.initialize_parameters}: token embedding N(0, .02), text positional N(0, .01), text
 * blocks attn N(0, w^-.5), out/c_proj N(0, w^-.5·(2L)^-.5), c_fc N(0, (2w)^-.5), text projection N(0, w^-.5),
 * ResNet attention pool q/k/v/c weights N(0, C^-.5) and zero {@code bn3.weight} in every Bottleneck; ViT class
 * and positional embeddings and {@code proj} are w^-.5·N(0,1); logit_scale = ln(1/0.07).
 *
 * <p>Each tensor draws from its own {@link SplittableRandom} seeded by (seed, tensor name), so values do not
 * depend on the order tensors are created in and a seed always gives the same model. The numbers are not
 * PyTorch's (different generator); the distributions are.
 */
public final class ClipInit {
    private ClipInit() {}

    /**
     * The tensors of {@link #initialize(ClipConfig, long)}, every float one marked to be stored as {@code floats}
     * (F32, F16 or BF16; writers round to it), as OpenAI's fp16 release is. The metadata is left to the caller.
     */
    public static StateDict initialize(ClipConfig c, long seed, DType floats) {
        StateDict sd = initialize(c, seed), out = new StateDict();
        for (Tensor t : sd.tensors()) out.put(t.isFloat() ? new Tensor(t.name(), floats, t.shape(), t.data(), null) : t);
        return out;
    }

    public static StateDict initialize(ClipConfig c, long seed) {
        StateDict sd = new StateDict();
        for (TensorSpec s : OpenAiLayout.specs(c)) {
            if (s.dtype() == DType.I64) {
                sd.put(new Tensor(s.name(), DType.I64, s.shape(), null, new long[(int) s.numel()]));
                continue;
            }
            float[] v = new float[Math.toIntExact(s.numel())];
            fill(s, c, v, rng(seed, s.name()));
            sd.put(new Tensor(s.name(), DType.F32, s.shape(), v, null));
        }
        sd.metadata().put("init", "openai");
        sd.metadata().put("seed", Long.toString(seed));
        return sd;
    }

    private static void fill(TensorSpec s, ClipConfig c, float[] v, SplittableRandom r) {
        String n = s.name();
        int[] sh = s.shape();
        int tw = c.textWidth();
        if (n.equals("logit_scale")) { v[0] = (float) Math.log(1 / 0.07); return; }
        if (n.equals("token_embedding.weight")) { normal(v, r, 0.02); return; }
        if (n.equals("positional_embedding")) { normal(v, r, 0.01); return; }
        if (n.equals("text_projection")) { normal(v, r, Math.pow(tw, -0.5)); return; }
        if (n.endsWith(".running_var")) { java.util.Arrays.fill(v, 1f); return; }
        if (n.endsWith(".running_mean")) return;
        if (n.startsWith("visual.") && !n.startsWith("visual.transformer.") && !n.startsWith("visual.attnpool.")) {
            double scale = Math.pow(c.visionWidth(), -0.5);
            if (n.equals("visual.class_embedding") || n.equals("visual.positional_embedding") || n.equals("visual.proj")) { normal(v, r, scale); return; }
            if (n.matches("visual\\.layer\\d\\.\\d+\\.bn3\\.weight")) return; // zero-init: each residual branch starts as identity
        }
        if (n.startsWith("visual.attnpool.")) {
            int embed = c.visionWidth() * 32;
            if (n.equals("visual.attnpool.positional_embedding")) { normal(v, r, Math.pow(embed, -0.5)); return; }
            if (n.endsWith(".weight")) { normal(v, r, Math.pow(embed, -0.5)); return; }
            uniform(v, r, 1 / Math.sqrt(embed)); // Linear bias default, fan_in = embed
            return;
        }
        if (n.startsWith("transformer.resblocks.")) {
            double attn = Math.pow(tw, -0.5), proj = attn * Math.pow(2.0 * c.textLayers(), -0.5), fc = Math.pow(2.0 * tw, -0.5);
            if (n.endsWith("attn.in_proj_weight")) { normal(v, r, attn); return; }
            if (n.endsWith("attn.out_proj.weight") || n.endsWith("mlp.c_proj.weight")) { normal(v, r, proj); return; }
            if (n.endsWith("mlp.c_fc.weight")) { normal(v, r, fc); return; }
        }
        if (n.endsWith("attn.in_proj_weight")) { // MultiheadAttention: xavier_uniform over [3d, d]
            uniform(v, r, Math.sqrt(6.0 / (sh[0] + sh[1])));
            return;
        }
        if (n.endsWith("attn.in_proj_bias") || n.endsWith("attn.out_proj.bias")) return; // MultiheadAttention zeroes both
        if (isNorm(n)) {
            if (n.endsWith(".weight")) java.util.Arrays.fill(v, 1f);
            return;
        }
        if (n.endsWith(".weight") && sh.length >= 2) { // Linear / Conv2d: kaiming_uniform(a=√5) → U(±1/√fan_in)
            uniform(v, r, 1 / Math.sqrt(fanIn(sh)));
            return;
        }
        if (n.endsWith(".bias")) { // Linear bias: U(±1/√fan_in) of the matching weight
            uniform(v, r, 1 / Math.sqrt(linearFanIn(n, c)));
            return;
        }
        throw new IllegalStateException("no init rule for " + s);
    }

    private static boolean isNorm(String n) {
        return n.matches(".*(\\.ln_\\w+|ln_final|\\.bn\\d|downsample\\.1)\\.(weight|bias)");
    }

    private static long fanIn(int[] sh) {
        long f = 1;
        for (int i = 1; i < sh.length; i++) f *= sh[i];
        return f;
    }

    /** Fan-in of the Linear layer owning a bias (only MLP biases reach here). */
    private static int linearFanIn(String n, ClipConfig c) {
        int d = n.startsWith("visual.") ? c.visionWidth() : c.textWidth();
        if (n.endsWith("mlp.c_fc.bias")) return d;
        if (n.endsWith("mlp.c_proj.bias")) return 4 * d;
        throw new IllegalStateException("no fan-in rule for " + n);
    }

    private static SplittableRandom rng(long seed, String name) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < name.length(); i++) h = (h ^ name.charAt(i)) * 0x100000001B3L;
        return new SplittableRandom(h);
    }

    private static void normal(float[] v, SplittableRandom r, double std) {
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * std);
    }

    private static void uniform(float[] v, SplittableRandom r, double bound) {
        for (int i = 0; i < v.length; i++) v[i] = (float) ((2 * r.nextDouble() - 1) * bound);
    }
}
