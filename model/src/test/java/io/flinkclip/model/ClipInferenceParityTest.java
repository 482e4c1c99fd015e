package io.flinkclip.model;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.nn.Trace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static io.flinkclip.model.ReferenceCase.assertClose;
import static io.flinkclip.model.ReferenceCase.flatten;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ClipModel#forInference} (packed weights, folded BatchNorm, NHWC ResNet) against OpenAI's reference
 * and against the training-capable build, with the same tolerances as {@link ClipModelParityTest}.
 */
class ClipInferenceParityTest {
    private static final double TOL = 1e-4;

    /** A shallow copy: forInference consumes its state dict, the cached reference must stay intact. */
    private static StateDict copy(StateDict sd) {
        StateDict out = new StateDict();
        for (Tensor t : sd.tensors()) out.put(t);
        out.metadata().putAll(sd.metadata());
        return out;
    }

    private static ClipModel inference(ReferenceCase ref) { return ClipModel.forInference(copy(ref.weights), ref.config); }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void embeddingsLogitsAndTracesMatchReference(String name) {
        ReferenceCase ref = ReferenceCase.load(name);
        ClipModel model = inference(ref), exact = ref.model();
        int ni = ref.imageCount(), nt = ref.textCount(), d = ref.config.embedDim();
        float[][] img = model.encodeImages(ref.pixels(0, ni), ni), txt = model.encodeTexts(ref.tokens(0, nt));
        assertClose(name + " image_embeds", ref.expected.get("image_embeds"), flatten(img), new int[] {ni, d}, TOL);
        assertClose(name + " text_embeds", ref.expected.get("text_embeds"), flatten(txt), new int[] {nt, d}, TOL);
        ClipModel.Logits logits = model.logits(img, txt);
        assertClose(name + " logits_per_image", ref.expected.get("logits_per_image"), flatten(logits.perImage()), new int[] {ni, nt}, TOL);
        // the two builds differ only by float rounding (packing order, folded BatchNorm)
        assertClose(name + " image vs fromStateDict", flatten(exact.encodeImages(ref.pixels(0, ni), ni)), flatten(img), 1e-5);
        assertClose(name + " chunked images", flatten(img), flatten(model.withMaxBatch(5).encodeImages(ref.pixels(0, ni), ni)), 1e-6);

        Trace image = new Trace(), text = new Trace();
        model.encodeImages(ref.pixels(0, 2), 2, image);
        model.encodeTexts(ref.tokens(0, 2), text, true);
        List<String> report = new ArrayList<>();
        for (String key : ref.expected.names()) {
            if (!key.startsWith("trace.") || key.endsWith(".encode_image") || key.endsWith(".encode_text")) continue;
            String tower = key.startsWith("trace.image.") ? "image" : "text";
            Tensor got = (tower.equals("image") ? image : text).get(key.substring(("trace." + tower + ".").length()));
            assertNotNull(got, name + ": no activation recorded for " + key);
            report.add(key.substring(6) + "=" + String.format("%.2e", assertClose(name + " " + key, ref.expected.get(key), got.data(), got.shape(), TOL)));
        }
        assertFalse(report.isEmpty());
        System.out.println(name + " inference traces max|Δ|/max|ref|: " + report);
    }

    /**
     * An image's embedding does not depend on the batch it came in, bit for bit (a Flink job's micro-batches are
     * arbitrary): each image alone against the whole reference batch, through every kernel of the tower.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void imageEmbeddingsAreBitIdenticalAloneAndInABatch(String name) {
        ReferenceCase ref = ReferenceCase.load(name);
        ClipModel model = inference(ref);
        int ni = ref.imageCount();
        float[][] all = model.encodeImages(ref.pixels(0, ni), ni);
        for (int i = 0; i < ni; i++) assertArrayEquals(all[i], model.encodeImages(ref.pixels(i, i + 1), 1)[0], name + " image " + i);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void consumesTheStateDictAndRefusesTraining(String name) {
        ReferenceCase ref = ReferenceCase.load(name);
        StateDict sd = copy(ref.weights);
        ClipModel model = ClipModel.forInference(sd, ref.config);
        assertTrue(model.inferenceOnly() && !ref.model().inferenceOnly());
        for (String left : sd.names()) { // packed or folded tensors leave the state dict; small vectors may stay
            assertFalse(left.endsWith("proj_weight") || left.endsWith("proj.weight") || left.endsWith("c_fc.weight")
                    || left.matches(".*conv\\d\\.weight|.*downsample\\.0\\.weight|.*running_(mean|var)"), left + " is still held");
        }
        assertThrows(IllegalStateException.class, () -> model.contrastiveGradients(ref.pixels(0, 1), 1, ref.tokens(0, 1)));
    }

    @Test
    void rejectsABrokenCheckpointLikeFromStateDict() {
        ReferenceCase ref = ReferenceCase.load("tiny-rn-perturbed");
        StateDict broken = copy(ref.weights);
        broken.put(Tensor.of("visual.layer1.0.bn2.running_var", new int[] {ref.weights.get("visual.layer1.0.bn2.running_var").dim(0)},
                negate(ref.weights.get("visual.layer1.0.bn2.running_var").data())));
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> ClipModel.forInference(broken, ref.config));
        assertTrue(e.getMessage().contains("visual.layer1.0.bn2.running_var") && e.getMessage().contains("negative"), e.getMessage());
        StateDict missing = copy(ref.weights);
        missing.remove("visual.attnpool.k_proj.bias");
        e = assertThrows(ClipFormatException.class, () -> ClipModel.forInference(missing, ref.config));
        assertTrue(e.getMessage().contains("visual.attnpool.k_proj.bias"), e.getMessage());
    }

    private static float[] negate(float[] v) {
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) out[i] = -1 - Math.abs(out[i]);
        return out;
    }
}
