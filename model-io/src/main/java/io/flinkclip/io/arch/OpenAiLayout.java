package io.flinkclip.io.arch;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every tensor of an OpenAI CLIP model ({@code clip/model.py}) for a given {@link ClipConfig}, in the order of
 * PyTorch's {@code state_dict()} (a module's own parameters first, then its children in registration order).
 */
public final class OpenAiLayout {
    private OpenAiLayout() {}

    public static List<TensorSpec> specs(ClipConfig c) {
        List<TensorSpec> out = new ArrayList<>();
        int tw = c.textWidth();
        f(out, "positional_embedding", c.contextLength(), tw);
        f(out, "text_projection", tw, c.embedDim());
        f(out, "logit_scale");
        if (c.isResNet()) resNet(out, c); else vit(out, c);
        for (int i = 0; i < c.textLayers(); i++) block(out, "transformer.resblocks." + i + ".", tw);
        f(out, "token_embedding.weight", c.vocabSize(), tw);
        ln(out, "ln_final", tw);
        return out;
    }

    /** Name → shape of every tensor, in state_dict order. */
    public static Map<String, int[]> shapesFor(ClipConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (TensorSpec s : specs(c)) m.put(s.name(), s.shape());
        return m;
    }

    /** Total number of elements (parameters and buffers). */
    public static long numel(ClipConfig c) {
        return specs(c).stream().mapToLong(TensorSpec::numel).sum();
    }

    private static void vit(List<TensorSpec> out, ClipConfig c) {
        int w = c.visionWidth(), p = c.visionPatchSize(), g = c.imageResolution() / p;
        f(out, "visual.class_embedding", w);
        f(out, "visual.positional_embedding", g * g + 1, w);
        f(out, "visual.proj", w, c.embedDim());
        f(out, "visual.conv1.weight", w, 3, p, p);
        ln(out, "visual.ln_pre", w);
        for (int i = 0; i < c.visionLayers()[0]; i++) block(out, "visual.transformer.resblocks." + i + ".", w);
        ln(out, "visual.ln_post", w);
    }

    private static void resNet(List<TensorSpec> out, ClipConfig c) {
        int w = c.visionWidth();
        // stem: three 3x3 convolutions (width/2, width/2, width)
        f(out, "visual.conv1.weight", w / 2, 3, 3, 3);
        bn(out, "visual.bn1", w / 2);
        f(out, "visual.conv2.weight", w / 2, w / 2, 3, 3);
        bn(out, "visual.bn2", w / 2);
        f(out, "visual.conv3.weight", w, w / 2, 3, 3);
        bn(out, "visual.bn3", w);
        int inplanes = w;
        for (int stage = 0; stage < 4; stage++) {
            int planes = w << stage, stride = stage == 0 ? 1 : 2;
            for (int b = 0; b < c.visionLayers()[stage]; b++) {
                String p = "visual.layer" + (stage + 1) + "." + b + ".";
                f(out, p + "conv1.weight", planes, inplanes, 1, 1);
                bn(out, p + "bn1", planes);
                f(out, p + "conv2.weight", planes, planes, 3, 3);
                bn(out, p + "bn2", planes);
                f(out, p + "conv3.weight", planes * 4, planes, 1, 1);
                bn(out, p + "bn3", planes * 4);
                if (b == 0 && (stride > 1 || inplanes != planes * 4)) {
                    // downsample = (AvgPool "-1", conv "0", BatchNorm "1"); the pool has no parameters
                    f(out, p + "downsample.0.weight", planes * 4, inplanes, 1, 1);
                    bn(out, p + "downsample.1", planes * 4);
                }
                inplanes = planes * 4;
            }
        }
        int e = w * 32, s = c.imageResolution() / 32;
        f(out, "visual.attnpool.positional_embedding", s * s + 1, e);
        for (String proj : new String[] {"k_proj", "q_proj", "v_proj"}) {
            f(out, "visual.attnpool." + proj + ".weight", e, e);
            f(out, "visual.attnpool." + proj + ".bias", e);
        }
        f(out, "visual.attnpool.c_proj.weight", c.embedDim(), e);
        f(out, "visual.attnpool.c_proj.bias", c.embedDim());
    }

    private static void block(List<TensorSpec> out, String p, int d) {
        f(out, p + "attn.in_proj_weight", 3 * d, d);
        f(out, p + "attn.in_proj_bias", 3 * d);
        f(out, p + "attn.out_proj.weight", d, d);
        f(out, p + "attn.out_proj.bias", d);
        ln(out, p + "ln_1", d);
        f(out, p + "mlp.c_fc.weight", 4 * d, d);
        f(out, p + "mlp.c_fc.bias", 4 * d);
        f(out, p + "mlp.c_proj.weight", d, 4 * d);
        f(out, p + "mlp.c_proj.bias", d);
        ln(out, p + "ln_2", d);
    }

    private static void ln(List<TensorSpec> out, String p, int d) {
        f(out, p + ".weight", d);
        f(out, p + ".bias", d);
    }

    private static void bn(List<TensorSpec> out, String p, int d) {
        f(out, p + ".weight", d);
        f(out, p + ".bias", d);
        f(out, p + ".running_mean", d);
        f(out, p + ".running_var", d);
        out.add(new TensorSpec(p + ".num_batches_tracked", DType.I64, new int[0]));
    }

    private static void f(List<TensorSpec> out, String name, int... shape) {
        out.add(new TensorSpec(name, DType.F32, shape));
    }
}
