package io.flinkclip.io.arch;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.DType;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.TestData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ClipInitTest {
    /** Small but complete configs: a 2-block ViT and a [1,2,1,1] modified ResNet. */
    static final ClipConfig VIT = new ClipConfig(32, 32, new int[] {2}, 64, 8, 1, 77, 1000, 64, 1, 3);
    static final ClipConfig RN = new ClipConfig(32, 64, new int[] {1, 2, 1, 1}, 16, 0, 8, 16, 500, 64, 1, 2);

    @Test
    void layoutAndConfigRoundTrip() {
        for (ClipConfig c : new ClipConfig[] {VIT, RN}) {
            StateDict sd = ClipInit.initialize(c, 7);
            assertEquals(OpenAiLayout.specs(c).size(), sd.size());
            ClipConfig back = ClipConfig.infer(sd);
            assertEquals(c.withHeads(back.visionHeads(), back.textHeads()), back);
        }
    }

    @Test
    void deterministicPerSeed() {
        TestData.assertBitExact(ClipInit.initialize(RN, 42), ClipInit.initialize(RN, 42));
        float[] a = ClipInit.initialize(VIT, 1).get("visual.proj").data(), b = ClipInit.initialize(VIT, 2).get("visual.proj").data();
        assertFalse(java.util.Arrays.equals(a, b));
    }

    @Test
    void openAiScalesAndConstants() {
        StateDict sd = ClipInit.initialize(VIT, 3);
        int tw = VIT.textWidth(), L = VIT.textLayers();
        assertEquals(0.02, std(sd.get("token_embedding.weight")), 0.02 * 0.03);
        assertEquals(0.01, std(sd.get("positional_embedding")), 0.01 * 0.05);
        assertEquals(Math.pow(tw, -0.5), std(sd.get("transformer.resblocks.0.attn.in_proj_weight")), 0.01);
        assertEquals(Math.pow(tw, -0.5) / Math.sqrt(2 * L), std(sd.get("transformer.resblocks.1.mlp.c_proj.weight")), 0.005);
        assertEquals(Math.pow(2 * tw, -0.5), std(sd.get("transformer.resblocks.2.mlp.c_fc.weight")), 0.005);
        assertEquals(Math.pow(64, -0.5), std(sd.get("visual.positional_embedding")), 0.02);
        assertEquals((float) Math.log(1 / 0.07), sd.get("logit_scale").scalar());
        assertAllEqual(sd.get("visual.transformer.resblocks.0.attn.in_proj_bias"), 0f);
        assertAllEqual(sd.get("visual.ln_post.weight"), 1f);
        assertAllEqual(sd.get("ln_final.bias"), 0f);
        // xavier bound on the vision in_proj (not overwritten by initialize_parameters), kaiming-uniform on conv1
        assertTrue(maxAbs(sd.get("visual.transformer.resblocks.0.attn.in_proj_weight")) <= Math.sqrt(6.0 / (4 * 64)));
        double convBound = 1 / Math.sqrt(3 * 8 * 8);
        assertTrue(maxAbs(sd.get("visual.conv1.weight")) <= convBound);
        assertTrue(maxAbs(sd.get("visual.conv1.weight")) > 0.9 * convBound);
    }

    @Test
    void resNetSpecifics() {
        StateDict sd = ClipInit.initialize(RN, 5);
        assertAllEqual(sd.get("visual.layer2.1.bn3.weight"), 0f);
        assertAllEqual(sd.get("visual.layer1.0.bn1.weight"), 1f);
        assertAllEqual(sd.get("visual.bn3.weight"), 1f); // the stem's bn3 is not a Bottleneck's
        assertAllEqual(sd.get("visual.layer1.0.downsample.1.weight"), 1f);
        assertAllEqual(sd.get("visual.layer3.0.bn2.running_var"), 1f);
        assertAllEqual(sd.get("visual.layer3.0.bn2.running_mean"), 0f);
        Tensor nbt = sd.get("visual.layer4.0.bn1.num_batches_tracked");
        assertEquals(DType.I64, nbt.storedAs());
        assertEquals(0L, nbt.longs()[0]);
        double c = 16 * 32;
        assertEquals(Math.pow(c, -0.5), std(sd.get("visual.attnpool.q_proj.weight")), 0.003);
        assertEquals(Math.pow(c, -0.5), std(sd.get("visual.attnpool.c_proj.weight")), 0.005);
        assertTrue(maxAbs(sd.get("visual.attnpool.k_proj.bias")) <= 1 / Math.sqrt(c));
    }

    private static double std(Tensor t) {
        double s = 0, s2 = 0;
        for (float v : t.data()) { s += v; s2 += (double) v * v; }
        int n = t.data().length;
        return Math.sqrt(s2 / n - (s / n) * (s / n));
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.data()) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static void assertAllEqual(Tensor t, float v) {
        for (float x : t.data()) assertEquals(v, x, t.name());
    }
}
