package io.flinkclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flinkclip.model.nn.LayerTimes;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LayerTimesTest {
    @Test
    void recordsNamedLayersOnlyWhileEnabledAndChangesNoResult() {
        ReferenceCase ref = ReferenceCase.load("tiny-rn-perturbed");
        ClipModel model = ClipModel.forInference(ref.weights.copy(), ref.config);
        int ni = ref.imageCount();
        float[] pixels = ref.pixels(0, ni);
        LayerTimes.reset();
        float[][] plain = model.encodeImages(pixels, ni);
        assertTrue(LayerTimes.snapshot().isEmpty(), "recorded while disabled: " + LayerTimes.snapshot().keySet());
        LayerTimes.enable(true);
        float[][] timed;
        try {
            timed = model.encodeImages(pixels, ni);
        } finally {
            LayerTimes.enable(false);
        }
        Map<String, long[]> t = LayerTimes.snapshot();
        LayerTimes.reset();
        for (String layer : new String[] {"visual.conv1", "visual.layer1.0.conv2", "visual.attnpool.attention", "visual.attnpool.c_proj"}) {
            assertTrue(t.containsKey(layer) && t.get(layer)[0] >= 1 && t.get(layer)[1] > 0, layer + " missing from " + t.keySet());
        }
        for (int i = 0; i < ni; i++) assertArrayEquals(plain[i], timed[i], "image " + i);
    }
}
