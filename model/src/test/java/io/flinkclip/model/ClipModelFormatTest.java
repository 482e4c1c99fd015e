package io.flinkclip.model;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A broken checkpoint fails at load with one ClipFormatException naming the tensor. */
class ClipModelFormatTest {

    private static StateDict copyWith(StateDict sd, String name, Function<Tensor, Tensor> change) {
        StateDict out = new StateDict();
        for (Tensor t : sd.tensors()) {
            Tensor c = t.name().equals(name) ? change.apply(t) : t;
            if (c != null) out.put(c);
        }
        return out;
    }

    private static void assertRejected(String model, String tensor, Function<Tensor, Tensor> change, String expect) {
        ReferenceCase ref = ReferenceCase.load(model);
        StateDict broken = copyWith(ref.weights, tensor, change);
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> ClipModel.fromStateDict(broken, ref.config));
        assertTrue(e.getMessage().contains(tensor), "message names the tensor: " + e.getMessage());
        assertTrue(e.getMessage().contains(expect), "message says why (" + expect + "): " + e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
            "tiny-vit, visual.transformer.resblocks.1.mlp.c_fc.bias",
            "tiny-vit, text_projection",
            "tiny-vit, logit_scale",
            "tiny-rn-perturbed, visual.layer3.0.downsample.1.running_var",
            "tiny-rn-perturbed, visual.attnpool.k_proj.weight",
            "tiny-rn-perturbed, transformer.resblocks.0.attn.in_proj_weight"})
    void missingTensor(String model, String tensor) {
        assertRejected(model, tensor, t -> null, "missing");
    }

    @ParameterizedTest
    @CsvSource({
            "tiny-vit, visual.positional_embedding",
            "tiny-vit, transformer.resblocks.0.attn.in_proj_weight",
            "tiny-rn-perturbed, visual.layer2.0.conv2.weight",
            "tiny-rn-perturbed, visual.attnpool.c_proj.bias"})
    void wrongShape(String model, String tensor) {
        assertRejected(model, tensor, t -> {
            int[] shape = t.shape().clone();
            shape[0] += 1;
            return Tensor.of(t.name(), shape, new float[(int) (t.numel() / t.dim(0) * shape[0])]);
        }, "shape");
    }

    @ParameterizedTest
    @CsvSource({
            "tiny-vit, visual.conv1.weight, NaN",
            "tiny-vit, ln_final.weight, Infinity",
            "tiny-vit, logit_scale, NaN",
            "tiny-rn-perturbed, visual.bn1.running_mean, -Infinity",
            "tiny-rn-perturbed, token_embedding.weight, NaN"})
    void nonFiniteWeight(String model, String tensor, float bad) {
        assertRejected(model, tensor, t -> {
            float[] d = t.data().clone();
            d[d.length / 2] = bad;
            return Tensor.of(t.name(), t.shape(), d);
        }, "non-finite");
    }

    @org.junit.jupiter.api.Test
    void configWithFewerLayersThanTheCheckpoint() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        io.flinkclip.io.ClipConfig c = ref.config;
        io.flinkclip.io.ClipConfig fewer = new io.flinkclip.io.ClipConfig(c.embedDim(), c.imageResolution(), c.visionLayers(),
                c.visionWidth(), c.visionPatchSize(), c.visionHeads(), c.contextLength(), c.vocabSize(), c.textWidth(), c.textHeads(), 1);
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> ClipModel.fromStateDict(ref.weights, fewer));
        assertTrue(e.getMessage().contains("transformer.resblocks.1."), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void headsThatDoNotDivideTheWidth() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        ClipFormatException e = assertThrows(ClipFormatException.class,
                () -> ClipModel.fromStateDict(ref.weights, ref.config.withHeads(1, 3)));
        assertTrue(e.getMessage().contains("3 heads"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"tiny-rn-perturbed, visual.layer1.0.bn2.running_var"})
    void negativeVariance(String model, String tensor) {
        assertRejected(model, tensor, t -> {
            float[] d = t.data().clone();
            d[0] = -1;
            return Tensor.of(t.name(), t.shape(), d);
        }, "negative variance");
    }
}
