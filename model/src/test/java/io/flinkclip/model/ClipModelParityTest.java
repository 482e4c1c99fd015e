package io.flinkclip.model;

import io.flinkclip.io.Tensor;
import io.flinkclip.model.nn.Trace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static io.flinkclip.model.ReferenceCase.assertClose;
import static io.flinkclip.model.ReferenceCase.flatten;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The forward pass against OpenAI's reference outputs (reference/README.md tolerances). */
class ClipModelParityTest {
    private static final double TOL = 1e-4; // max|Δ| ≤ 1e-4 · max|ref| per tensor

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void embeddingsAndLogitsMatchReference(String name) {
        ReferenceCase ref = ReferenceCase.load(name);
        ClipModel model = ref.model();
        int ni = ref.imageCount(), nt = ref.textCount();
        float[][] img = model.encodeImages(ref.pixels(0, ni), ni);
        float[][] txt = model.encodeTexts(ref.tokens(0, nt));
        int d = ref.config.embedDim();
        List<String> report = new ArrayList<>();
        report.add("image_embeds " + assertClose(name + " image_embeds", ref.expected.get("image_embeds"), flatten(img), new int[] {ni, d}, TOL));
        report.add("text_embeds " + assertClose(name + " text_embeds", ref.expected.get("text_embeds"), flatten(txt), new int[] {nt, d}, TOL));
        ClipModel.Logits logits = model.logits(img, txt);
        report.add("logits_per_image " + assertClose(name + " logits_per_image", ref.expected.get("logits_per_image"),
                flatten(logits.perImage()), new int[] {ni, nt}, TOL));
        report.add("logits_per_text " + assertClose(name + " logits_per_text", ref.expected.get("logits_per_text"),
                flatten(logits.perText()), new int[] {nt, ni}, TOL));
        // encoding in small chunks must give the same rows
        float[][] chunked = model.withMaxBatch(5).encodeImages(ref.pixels(0, ni), ni);
        assertClose(name + " chunked images", flatten(img), flatten(chunked), 1e-6);
        System.out.println(name + " max|Δ|/max|ref|: " + report);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void everyTraceMatchesReference(String name) {
        ReferenceCase ref = ReferenceCase.load(name);
        ClipModel model = ref.model();
        Trace image = new Trace(), text = new Trace();
        float[][] img = model.encodeImages(ref.pixels(0, 2), 2, image);
        float[][] txt = model.encodeTexts(ref.tokens(0, 2), text, true);
        image.put("encode_image", flatten(img), 0, 2, img[0].length);
        text.put("encode_text", flatten(txt), 0, 2, txt[0].length);
        int checked = 0;
        List<String> report = new ArrayList<>();
        for (String key : ref.expected.names()) {
            if (!key.startsWith("trace.")) continue;
            String tower = key.startsWith("trace.image.") ? "image" : "text";
            String layer = key.substring(("trace." + tower + ".").length());
            Tensor got = (tower.equals("image") ? image : text).get(layer);
            assertNotNull(got, name + ": no activation recorded for " + key);
            double r = assertClose(name + " " + key, ref.expected.get(key), got.data(), got.shape(), TOL);
            report.add(key.substring(6) + "=" + String.format("%.2e", r));
            checked++;
        }
        assertFalse(report.isEmpty());
        System.out.println(name + " traces (" + checked + ") max|Δ|/max|ref|: " + report);
    }
}
