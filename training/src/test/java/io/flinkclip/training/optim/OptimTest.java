package io.flinkclip.training.optim;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimTest {
    private static StateDict params() {
        return new StateDict()
                .put(Tensor.of("visual.proj", new int[]{1, 2}, new float[]{1.0f, -2.0f}))       // decayed
                .put(Tensor.of("ln_final.bias", new int[]{2}, new float[]{0.5f, 0.25f}));       // not decayed
    }

    private static StateDict grads(float a, float b) {
        return new StateDict()
                .put(Tensor.of("visual.proj", new int[]{1, 2}, new float[]{a, b}))
                .put(Tensor.of("ln_final.bias", new int[]{2}, new float[]{a, b}));
    }

    @Test
    void twoHandComputedSteps() {
        StateDict p = params();
        AdamW opt = new AdamW(new AdamW.Hyper(0.9, 0.98, 1e-6, 0.2), WeightDecayRule.openClip());
        opt.step(p, grads(0.5f, -0.1f), 0.1);
        // Step 1 (bias-corrected m̂ = g, v̂ = g²): decayed w·(1 − 0.02) − 0.1·g/(|g| + 1e-6).
        assertArrayEquals(new float[]{0.8800002f, -1.860001f}, p.get("visual.proj").data(), 2e-7f);
        assertArrayEquals(new float[]{0.4000002f, 0.349999f}, p.get("ln_final.bias").data(), 2e-7f);
        opt.step(p, grads(-0.3f, 0.2f), 0.1);
        // Step 2 values from the textbook formula evaluated in double.
        assertArrayEquals(new float[]{0.8432070f, -1.8593061f}, p.get("visual.proj").data(), 1e-6f);
        assertArrayEquals(new float[]{0.3808070f, 0.3134938f}, p.get("ln_final.bias").data(), 1e-6f);
        assertEquals(2, opt.stepCount());
    }

    @Test
    void stateRoundTripsThroughSafeTensorsAndResumesIdentically() throws IOException {
        StateDict a = params(), b = params();
        AdamW oa = new AdamW(AdamW.Hyper.openClipVit(), WeightDecayRule.openClip());
        oa.step(a, grads(0.5f, -0.1f), 0.1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SafeTensors.write(bytes, oa.state(a));
        StateDict saved = SafeTensors.read(bytes.toByteArray(), "adam state");
        assertTrue(saved.has("adam.m.visual.proj") && saved.has("adam.v.ln_final.bias") && saved.has(AdamW.STEP));
        // b: the same first step, then restore the state into a fresh optimizer
        new AdamW(AdamW.Hyper.openClipVit(), WeightDecayRule.openClip()).step(b, grads(0.5f, -0.1f), 0.1);
        AdamW ob = new AdamW(AdamW.Hyper.openClipVit(), WeightDecayRule.openClip());
        ob.load(saved, b);
        oa.step(a, grads(-0.3f, 0.2f), 0.05);
        ob.step(b, grads(-0.3f, 0.2f), 0.05);
        assertArrayEquals(a.get("visual.proj").data(), b.get("visual.proj").data(), 0f);
        assertArrayEquals(a.get("ln_final.bias").data(), b.get("ln_final.bias").data(), 0f);
    }

    @Test
    void rejectsMismatchedGradientsAndNonFinite() {
        AdamW o = new AdamW(AdamW.Hyper.openClipVit(), WeightDecayRule.openClip());
        StateDict g = new StateDict().put(Tensor.of("visual.proj", new int[]{2}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> o.step(params(), g, 0.1));
        assertThrows(IllegalStateException.class, () -> o.step(params(), grads(Float.NaN, 0), 0.1));
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Hyper(1.0, 0.9, 1e-6, 0));
    }

    @Test
    void openClipDecayRule() {
        WeightDecayRule r = WeightDecayRule.openClip();
        assertTrue(r.decays("visual.conv1.weight", new int[]{8, 3, 4, 4}));
        assertTrue(r.decays("transformer.resblocks.0.attn.in_proj_weight", new int[]{96, 32}));
        assertTrue(r.decays("token_embedding.weight", new int[]{100, 32}));   // 2-D: open_clip decays it
        assertFalse(r.decays("transformer.resblocks.0.attn.in_proj_bias", new int[]{96}));
        assertFalse(r.decays("transformer.resblocks.0.ln_1.weight", new int[]{32}));
        assertFalse(r.decays("visual.layer1.0.bn1.weight", new int[]{8}));
        assertFalse(r.decays("visual.class_embedding", new int[]{32}));
        assertFalse(r.decays("logit_scale", new int[0]));
        WeightDecayRule e = WeightDecayRule.openClipAndEmbeddings();
        assertFalse(e.decays("token_embedding.weight", new int[]{100, 32}));
        assertFalse(e.decays("positional_embedding", new int[]{77, 32}));
        assertTrue(e.decays("visual.proj", new int[]{32, 16}));
    }

    @Test
    void cosineWithWarmup() {
        CosineSchedule s = new CosineSchedule(1e-3, 10, 110);
        assertEquals(1e-4, s.lr(0), 1e-15);
        assertEquals(1e-3, s.lr(9), 1e-15);
        assertEquals(1e-3, s.lr(10), 1e-15);
        assertEquals(0.5e-3, s.lr(60), 1e-15);
        assertEquals(0, s.lr(110), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new CosineSchedule(1e-3, 10, 10));
    }

    @Test
    void globalNormClippingAndLogitClamp() {
        StateDict g = new StateDict()
                .put(Tensor.of("a", new int[]{1}, new float[]{3}))
                .put(Tensor.of("b", new int[]{1}, new float[]{4}));
        assertEquals(5, GradClip.clipGlobalNorm(g, 10), 1e-12);
        assertEquals(3f, g.get("a").data()[0]);   // under the limit: untouched
        assertEquals(5, GradClip.clipGlobalNorm(g, 1), 1e-12);
        assertEquals(3 / (5 + 1e-6), g.get("a").data()[0], 1e-7);
        assertEquals(4 / (5 + 1e-6), g.get("b").data()[0], 1e-7);
        StateDict p = new StateDict().put(Tensor.of("logit_scale", new int[0], new float[]{5f}));
        GradClip.clampLogitScale(p, "logit_scale");
        assertEquals((float) Math.log(100), p.get("logit_scale").data()[0]);
        p.get("logit_scale").data()[0] = -1f;
        GradClip.clampLogitScale(p, "logit_scale");
        assertEquals(0f, p.get("logit_scale").data()[0]);
    }
}
