package io.flinkclip.model;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.device.CpuDevice;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceException;
import io.flinkclip.kernels.device.Devices;
import io.flinkclip.model.device.DeviceClipTraining;
import io.flinkclip.model.nn.ClipBackward;
import io.flinkclip.model.nn.Gradients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.flinkclip.model.ReferenceCase.assertClose;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The device training step (ViT + text towers) against PyTorch autograd: loss, logits and every parameter gradient
 * within reference/README.md's tolerances, on {@code -Dclip.test.device} (default opencl:0:0) and the CPU device.
 */
class DeviceClipTrainingParityTest {
    private static final String SPEC = System.getProperty("clip.test.device", "opencl:0:0");
    private static Device gpu;

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

    @ParameterizedTest
    @ValueSource(strings = {"test", "cpu"})
    void lossAndEveryGradientMatchReference(String which) {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        int n = ref.json.get("train").get("n").asInt();
        Device device = which.equals("cpu") ? new CpuDevice() : gpu;
        ClipBackward.Result r;
        try (DeviceClipTraining training = DeviceClipTraining.create(ref.weights, ref.config, device)) {
            r = training.contrastiveGradients(ref.pixels(0, n), n, ref.tokens(0, n));
            // a second step on the reused arena and gradient buffer gives the same gradients (zeroed per step)
            ClipBackward.Result again = training.contrastiveGradients(ref.pixels(0, n), n, ref.tokens(0, n));
            assertEquals(r.loss(), again.loss(), 0);
            for (String p : r.gradients().names()) assertClose("repeat " + p, r.gradients().get(p), again.gradients().get(p), 0);
        }
        double expectedLoss = ref.expected.get("train.loss").scalar();
        double lossRel = Math.abs(r.loss() - expectedLoss) / Math.abs(expectedLoss);
        assertTrue(lossRel <= 1e-5, "loss " + r.loss() + " vs " + expectedLoss);
        assertClose("train.logits_per_image", ref.expected.get("train.logits_per_image").data(), r.logitsPerImage(), 1e-4);

        Gradients g = r.gradients();
        String tokName = "token_embedding.weight";
        Tensor rows = ref.expected.get("grad_sparse_rows." + tokName), values = ref.expected.get("grad_sparse_values." + tokName);
        double bigG = 0;
        for (String key : ref.expected.names()) {
            if (key.startsWith("grad.") || key.equals("grad_sparse_values." + tokName)) {
                for (float v : ref.expected.get(key).data()) bigG = Math.max(bigG, Math.abs(v));
            }
        }
        double sumSqDiff = 0, sumSqRef = 0, worst = 0;
        String worstName = "";
        Set<String> seen = new HashSet<>();
        List<String> report = new ArrayList<>();
        for (String key : ref.expected.names()) {
            if (!key.startsWith("grad.")) continue;
            String param = key.substring(5);
            float[] got = g.get(param);
            assertNotNull(got, "no gradient for " + param);
            assertArrayEquals(ref.expected.get(key).shape(), g.shape(param), "gradient shape of " + param);
            double[] s = check(param, ref.expected.get(key).data(), got, bigG);
            sumSqDiff += s[0];
            sumSqRef += s[1];
            if (s[2] > worst) { worst = s[2]; worstName = param; }
            seen.add(param);
        }
        int width = ref.config.textWidth();
        float[] wantDense = new float[g.get(tokName).length];
        for (int i = 0; i < rows.dim(0); i++) System.arraycopy(values.data(), i * width, wantDense, (int) rows.longs()[i] * width, width);
        double[] s = check(tokName, wantDense, g.get(tokName), bigG);
        sumSqDiff += s[0];
        sumSqRef += s[1];
        seen.add(tokName);
        Set<String> params = new HashSet<>();
        ref.json.get("parameter_names").forEach(p -> params.add(p.asText()));
        assertEquals(params, seen, "the reference's parameters vs the gradients checked");
        assertEquals(params, g.names(), "gradients produced");
        double relL2 = Math.sqrt(sumSqDiff / sumSqRef);
        assertTrue(relL2 <= 1e-3, "relative L2 of all gradients " + relL2);
        report.add(String.format("loss rel %.1e, grads rel L2 %.2e, worst max|Δ|/bound %.2e (%s)", lossRel, relL2, worst, worstName));
        System.out.println("tiny-vit training on " + device.describe() + ": " + report);
    }

    @Test
    void backwardFromGivenFeatureGradientsAccumulates() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        int n = 4;
        float[] pixels = ref.pixels(0, n);
        int[][] tokens = ref.tokens(0, n);
        try (DeviceClipTraining training = DeviceClipTraining.create(ref.weights, ref.config, gpu)) {
            ClipBackward.Result once = training.contrastiveGradients(pixels, n, tokens);
            // the same loss gradients from the CPU model's features, fed twice: every tower gradient doubles
            ClipBackward.Pass pass = ref.model().trainingForward(pixels, n, tokens);
            io.flinkclip.model.nn.ContrastiveLoss.Result loss = io.flinkclip.model.nn.ContrastiveLoss.compute(
                    pass.imageFeatures(), pass.textFeatures(), n, ref.config.embedDim(), ref.model().logitScale());
            Gradients acc = new Gradients();
            training.backward(pixels, n, tokens, loss.dImage(), loss.dText(), acc);
            training.backward(pixels, n, tokens, loss.dImage(), loss.dText(), acc);
            // text tower alone (no images): text gradients as in the full step, visual ones zero
            Gradients textOnly = new Gradients();
            training.backward(null, 0, tokens, null, loss.dText(), textOnly);
            for (String p : once.gradients().names()) {
                if (p.equals("logit_scale")) continue;
                float[] a = once.gradients().get(p), b = acc.get(p), t = textOnly.get(p);
                float[] twice = new float[a.length];
                for (int i = 0; i < a.length; i++) twice[i] = 2 * a[i];
                assertClose("accumulated " + p, twice, b, 1e-4);
                if (p.startsWith("visual.")) {
                    for (float v : t) assertEquals(0f, v, p);
                } else {
                    assertClose("text only " + p, a, t, 1e-4);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> training.backward(pixels, n, tokens, loss.dImage(), null, new Gradients()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"test", "cpu"})
    void trainStepAppliesAdamWToEveryParameterOnTheDevice(String which) {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        int n = 4;
        float[] pixels = ref.pixels(0, n);
        int[][] tokens = ref.tokens(0, n);
        float lr = 1e-3f, wd = 0.2f, eps = 1e-6f;
        Device device = which.equals("cpu") ? new CpuDevice() : gpu;
        StateDict after = ref.weights.copy();
        ClipBackward.Result r;
        double loss;
        try (DeviceClipTraining training = DeviceClipTraining.create(ref.weights, ref.config, device)) {
            r = training.contrastiveGradients(pixels, n, tokens); // the same deterministic gradients trainStep will use
            loss = training.trainStep(pixels, n, tokens, lr, new DeviceClipTraining.AdamW(0.9f, 0.98f, eps, wd), (name, shape) -> shape.length >= 2);
            assertEquals(1, training.steps());
            training.copyParametersTo(after);
        }
        assertEquals(r.loss(), loss, 1e-12, "the step's loss");
        // Adam's first step from zero moments: p·(1 − lr·wd) − lr·g / (|g| + ε), decay only for matrices
        int checked = 0;
        for (String name : r.gradients().names()) {
            float[] g = r.gradients().get(name), p0 = ref.weights.get(name).data(), p1 = after.get(name).data();
            double decay = name.equals("logit_scale") || ref.weights.get(name).shape().length < 2 ? 0 : wd;
            for (int i = 0; i < g.length; i++) {
                double want = p0[i] * (1 - lr * decay) - lr * g[i] / (Math.abs(g[i]) + eps);
                int ii = i;
                assertEquals(want, p1[i], 1e-6 + 1e-6 * Math.abs(p0[i]), () -> name + "[" + ii + "] on " + device.describe());
            }
            checked++;
        }
        assertEquals(r.gradients().names().size(), checked);
        assertTrue(checked > 20, "parameters checked: " + checked);
    }

    @Test
    void keptForwardGivesTheSameGradientsAndAnyOtherCallDiscardsIt() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        int n = 4, e = ref.config.embedDim();
        float[] pixels = ref.pixels(0, n);
        int[][] tokens = ref.tokens(0, n);
        float[] dImage = new float[n * e], dText = new float[n * e];
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < dImage.length; i++) { dImage[i] = (float) r.nextGaussian(); dText[i] = (float) r.nextGaussian(); }
        try (DeviceClipTraining training = DeviceClipTraining.create(ref.weights, ref.config, gpu)) {
            Gradients recomputed = new Gradients(), kept = new Gradients();
            training.backward(pixels, n, null, dImage, null, recomputed);
            training.backward(null, 0, tokens, null, dText, recomputed);
            float[] img = training.forwardKeep(pixels, n, null)[0];
            training.backwardKept(dImage, null, kept);
            float[] txt = training.forwardKeep(null, 0, tokens)[1];
            training.backwardKept(null, dText, kept);
            assertEquals(recomputed.names(), kept.names());
            for (String p : recomputed.names()) assertArrayEquals(recomputed.get(p), kept.get(p), 0f, p); // same kernels, same order
            assertArrayEquals(training.embed(pixels, n, null)[0], img, 0f);
            assertArrayEquals(training.embed(null, 0, tokens)[1], txt, 0f);

            assertThrows(IllegalStateException.class, () -> training.backwardKept(dImage, null, new Gradients())); // consumed
            // both towers kept at once (text-only passes have their own arena), as GradCache's single pass needs
            training.forwardKeep(pixels, n, null);
            training.forwardKeep(null, 0, tokens);
            Gradients both = new Gradients();
            training.backwardKept(dImage, dText, both);
            for (String p : recomputed.names()) assertArrayEquals(recomputed.get(p), both.get(p), 0f, "both kept: " + p);
            training.forwardKeep(pixels, n, null);
            training.embed(pixels, n, null); // rewrites the image arena
            assertThrows(IllegalStateException.class, () -> training.backwardKept(dImage, null, new Gradients()));
            training.forwardKeep(pixels, n, null);
            assertThrows(IllegalArgumentException.class, () -> training.backwardKept(new float[e], null, new Gradients()));

            // backwardKeptInto adds each tower's gradients straight into host arrays: the same sums as accumulating the
            // Gradients of backwardKept into them, bit for bit, and nothing for a tower that did not run
            java.util.Map<String, float[]> into = new java.util.HashMap<>();
            for (String p : recomputed.names()) {
                float[] a = new float[recomputed.get(p).length];
                for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
                into.put(p, a);
            }
            java.util.Map<String, float[]> before = new java.util.HashMap<>();
            into.forEach((p, a) -> before.put(p, a.clone()));
            training.forwardKeep(pixels, n, null);
            training.backwardKeptInto(dImage, null, into);
            for (String p : recomputed.names()) {
                float[] want = before.get(p).clone();
                if (p.startsWith("visual.")) for (int i = 0; i < want.length; i++) want[i] += recomputed.get(p)[i];
                assertArrayEquals(want, into.get(p), 0f, "image tower into host arrays: " + p);
            }
            training.forwardKeep(null, 0, tokens);
            training.backwardKeptInto(null, dText, into);
            for (String p : recomputed.names()) {
                float[] want = before.get(p).clone();
                for (int i = 0; i < want.length; i++) want[i] += recomputed.get(p)[i];
                assertArrayEquals(want, into.get(p), 0f, "both towers into host arrays: " + p);
            }
            into.remove("visual.proj");
            training.forwardKeep(pixels, n, null);
            String msg = assertThrows(IllegalStateException.class, () -> training.backwardKeptInto(dImage, null, into)).getMessage();
            assertTrue(msg.contains("visual.proj"), msg);
        }
    }

    @Test
    void resNetAndMismatchedBatchesAreRejected() {
        ReferenceCase rn = ReferenceCase.load("tiny-rn-perturbed");
        assertThrows(UnsupportedOperationException.class, () -> DeviceClipTraining.create(rn.weights, rn.config, gpu));
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        try (DeviceClipTraining t = DeviceClipTraining.create(ref.weights, ref.config, gpu)) {
            assertThrows(IllegalArgumentException.class, () -> t.contrastiveGradients(ref.pixels(0, 2), 2, ref.tokens(0, 3)));
            assertThrows(IllegalArgumentException.class, () -> t.contrastiveGradients(new float[0], 0, new int[0][]));
            // a NaN pixel (found on the device) fails the step with its index and changes no parameter
            float[][] before = t.embed(ref.pixels(0, 2), 2, null);
            float[] bad = ref.pixels(0, 2);
            bad[bad.length - 3] = Float.NaN;
            String msg = assertThrows(IllegalArgumentException.class, () -> t.trainStep(bad, 2, ref.tokens(0, 2), 1e-3f,
                    new DeviceClipTraining.AdamW(0.9f, 0.98f, 1e-6f, 0.1f), (name, shape) -> true)).getMessage();
            assertTrue(msg.contains("pixel value NaN at flat index " + (bad.length - 3) + " (image 1)"), msg);
            assertEquals(0, t.steps());
            assertArrayEquals(before[0], t.embed(ref.pixels(0, 2), 2, null)[0]);
        }
    }

    /** Asserts max|Δ| ≤ 1e-3·max|ref| + 1e-4·G; returns {Σ Δ², Σ ref², max|Δ| / bound}. */
    private static double[] check(String what, float[] want, float[] got, double bigG) {
        assertEquals(want.length, got.length, what + ": size");
        double maxRef = 0, maxDiff = 0, sd = 0, sr = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) want[i] - got[i]);
            if (!(d <= maxDiff)) maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            maxRef = Math.max(maxRef, Math.abs(want[i]));
            sd += d * d;
            sr += (double) want[i] * want[i];
        }
        double bound = 1e-3 * maxRef + 1e-4 * bigG;
        assertTrue(maxDiff <= bound, what + ": max|Δ| " + maxDiff + " > " + bound + " (max|ref| " + maxRef + ", G " + bigG + ")");
        return new double[] {sd, sr, maxDiff / bound};
    }
}
