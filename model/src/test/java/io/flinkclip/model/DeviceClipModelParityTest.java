package io.flinkclip.model;

import io.flinkclip.kernels.device.CpuDevice;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceException;
import io.flinkclip.kernels.device.Devices;
import io.flinkclip.model.device.ClipModels;
import io.flinkclip.model.device.DeviceClipModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static io.flinkclip.model.ReferenceCase.assertClose;
import static io.flinkclip.model.ReferenceCase.flatten;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link DeviceClipModel} against OpenAI's reference outputs (reference/README.md tolerances), on the device of
 * {@code -Dclip.test.device} (default {@code opencl:0:0}: PoCL in CI) and on the CPU device, which runs the same
 * device code path without OpenCL.
 */
class DeviceClipModelParityTest {
    private static final double TOL = 1e-4; // max|Δ| ≤ 1e-4 · max|ref| per tensor
    private static final String SPEC = System.getProperty("clip.test.device", "opencl:0:0");
    private static Device gpu;
    private static final Device cpu = new CpuDevice();

    @BeforeAll
    static void open() {
        try {
            gpu = Devices.open(SPEC);
        } catch (DeviceException e) {
            throw new AssertionError("device " + SPEC + " unavailable (CI installs pocl-opencl-icd): " + e.getMessage(), e);
        }
    }

    @AfterAll
    static void close() { if (gpu != null) gpu.close(); }

    private static Device device(String which) { return which.equals("cpu") ? cpu : gpu; }

    @ParameterizedTest
    @CsvSource({"tiny-vit, test", "tiny-rn-perturbed, test", "tiny-vit, cpu", "tiny-rn-perturbed, cpu"})
    void embeddingsAndLogitsMatchReference(String name, String which) {
        ReferenceCase ref = ReferenceCase.load(name);
        int ni = ref.imageCount(), nt = ref.textCount(), d = ref.config.embedDim();
        float[] pixels = ref.pixels(0, ni);
        int[][] tokens = ref.tokens(0, nt);
        try (DeviceClipModel model = DeviceClipModel.create(ref.weights, ref.config, device(which))) {
            float[][] img = model.encodeImages(pixels, ni);
            float[][] txt = model.encodeTexts(tokens);
            List<String> report = new ArrayList<>();
            report.add("image_embeds " + assertClose(name + " image_embeds", ref.expected.get("image_embeds"), flatten(img), new int[] {ni, d}, TOL));
            report.add("text_embeds " + assertClose(name + " text_embeds", ref.expected.get("text_embeds"), flatten(txt), new int[] {nt, d}, TOL));
            ClipModel.Logits logits = ClipModel.logits(img, txt, model.logitScale());
            report.add("logits_per_image " + assertClose(name + " logits_per_image", ref.expected.get("logits_per_image"),
                    flatten(logits.perImage()), new int[] {ni, nt}, TOL));
            report.add("logits_per_text " + assertClose(name + " logits_per_text", ref.expected.get("logits_per_text"),
                    flatten(logits.perText()), new int[] {nt, ni}, TOL));
            System.out.println(name + " on " + model.describe() + " max|Δ|/max|ref|: " + report);

            // the arena, already holding a text layout, is reused for images again: same rows
            assertClose(name + " images again", flatten(img), flatten(model.encodeImages(pixels, ni)), 0);
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-vit", "tiny-rn-perturbed"})
    void smallChunksGrowTheArenaAndGiveTheSameRows(String name) {
        ReferenceCase ref = ReferenceCase.load(name);
        int ni = ref.imageCount(), nt = ref.textCount();
        try (DeviceClipModel whole = DeviceClipModel.create(ref.weights, ref.config, gpu, 64);
             DeviceClipModel chunked = DeviceClipModel.create(ref.weights, ref.config, gpu, 5)) {
            // one row first (smallest arena), then chunks of 5 and a ragged tail: the arena grows once
            float[][] first = chunked.encodeImages(ref.pixels(0, 1), 1);
            float[][] img = chunked.encodeImages(ref.pixels(0, ni), ni);
            float[][] txt = chunked.encodeTexts(ref.tokens(0, nt));
            assertClose(name + " single image", flatten(first), img[0], 1e-6);
            assertClose(name + " chunked images", flatten(whole.encodeImages(ref.pixels(0, ni), ni)), flatten(img), 1e-6);
            assertClose(name + " chunked texts", flatten(whole.encodeTexts(ref.tokens(0, nt))), flatten(txt), 1e-6);
        }
    }

    @Test
    void unpaddedRowsPoolAtTheirFirstEot() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        int[][] padded = ref.tokens(0, 3);
        int[][] unpadded = new int[3][];
        for (int r = 0; r < 3; r++) {
            int len = 0;
            while (len < padded[r].length && padded[r][len] != 0) len++;
            unpadded[r] = java.util.Arrays.copyOf(padded[r], len);
        }
        try (DeviceClipModel model = DeviceClipModel.create(ref.weights, ref.config, gpu)) {
            assertClose("unpadded rows", flatten(model.encodeTexts(padded)), flatten(model.encodeTexts(unpadded)), 1e-6);
        }
    }

    @Test
    void badInputsFailWithOneClearMessage() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        DeviceClipModel model = DeviceClipModel.create(ref.weights, ref.config, gpu);
        float[] pixels = ref.pixels(0, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.encodeImages(pixels, 2)).getMessage().contains("expected 2 images"));
        pixels[5] = Float.NaN;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.encodeImages(pixels, 1)).getMessage().contains("flat index 5"));
        // non-finite pixels are found on the device, chunk by chunk: an infinity in the second chunk of two is named, and the
        // model stays usable
        float[] two = ref.pixels(0, 2), clean = two.clone();
        int per = two.length / 2;
        two[per + 7] = Float.NEGATIVE_INFINITY;
        try (DeviceClipModel chunked = DeviceClipModel.create(ref.weights, ref.config, gpu, 1)) {
            float[][] before = chunked.encodeImages(clean, 2);
            String msg = assertThrows(IllegalArgumentException.class, () -> chunked.encodeImages(two, 2)).getMessage();
            assertTrue(msg.contains("pixel value -Infinity at flat index " + (per + 7) + " (image 1)"), msg);
            assertArrayEquals(flatten(before), flatten(chunked.encodeImages(clean, 2)), "after a rejected batch");
        }
        int vocab = ref.config.vocabSize();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.encodeTexts(new int[][] {{49406, vocab}})).getMessage()
                .contains("outside the vocabulary"));
        assertThrows(IllegalArgumentException.class, () -> model.encodeTexts(new int[][] {{}}));
        assertThrows(IllegalArgumentException.class, () -> model.encodeTexts(new int[][] {new int[ref.config.contextLength() + 1]}));
        assertThrows(IllegalArgumentException.class, () -> DeviceClipModel.create(ref.weights, ref.config, gpu, 0));
        assertEquals(0, model.encodeImages(new float[0], 0).length);
        model.close();
        model.close();
        assertThrows(IllegalStateException.class, () -> model.encodeTexts(new int[][] {{1}}));
        assertNotNull(gpu.describe(), "closing the model leaves a device it does not own open");
        try (var b = gpu.allocate(4)) {
            assertEquals(4, b.length());
        }
    }

    @Test
    void factoryPicksTheEncoderForTheSetting() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        float[] expected = ref.expected.get("image_embeds").data();
        int d = ref.config.embedDim();
        float[] firstRow = java.util.Arrays.copyOf(expected, d);

        ClipEncoder onCpu = ClipModels.onDevice(ref.weights, ref.config, "cpu");
        assertInstanceOf(ClipModel.class, onCpu);

        ClipEncoder onTest = ClipModels.onDevice(ref.weights, ref.config, SPEC);
        assertInstanceOf(DeviceClipModel.class, onTest);
        assertClose("factory " + SPEC, firstRow, onTest.encodeImages(ref.pixels(0, 1), 1)[0], TOL);
        ((DeviceClipModel) onTest).close();

        // auto: a GPU when one opens, else the CPU model (logged); either way the reference embeddings
        ClipEncoder auto = ClipModels.onDevice(ref.weights, ref.config, "auto");
        assertClose("factory auto", firstRow, auto.encodeImages(ref.pixels(0, 1), 1)[0], TOL);
        if (auto instanceof DeviceClipModel m) m.close();

        // a whole Clip on the device (heads from the reference's hparams, no tokenizer needed for pixels)
        Clip clip = ClipModels.clip(ref.weights, null, new ClipLoader.Overrides(ref.config.visionHeads(), ref.config.textHeads()), SPEC);
        assertInstanceOf(DeviceClipModel.class, clip.encoder());
        assertClose("factory clip", firstRow, clip.embedPixels(List.of(ref.pixels(0, 1)))[0], TOL);
        ((DeviceClipModel) clip.encoder()).close();

        assertThrows(DeviceException.class, () -> ClipModels.onDevice(ref.weights, ref.config, "tpu"));
        assertThrows(DeviceException.class, () -> ClipModels.onDevice(ref.weights, ref.config, "opencl:99:0"));
    }
}
