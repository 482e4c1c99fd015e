package io.flinkclip.training;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.device.CpuDevice;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceException;
import io.flinkclip.kernels.device.Devices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The host trainer over device passes ({@link DeviceTrainableClip}) on {@code -Dclip.test.device} (default opencl:0:0,
 * PoCL in CI) and the CPU device: PyTorch's reference gradients, the CPU model's training trajectory, and an exact
 * resume, which needs the device's parameter copy refreshed after each step and after a restore.
 */
class DeviceTrainableClipTest {
    private static final Path REF = Path.of(System.getProperty("clip.shared.dir", "../shared"), "reference", "tiny-vit");
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

    private static ClipModelTrainable hostModel() {
        StateDict w = SafeTensors.read(REF.resolve("weights.safetensors"));
        return new ClipModelTrainable(w, ClipConfig.infer(w).withHeads(1, 2));
    }

    private static Device device(String which) { return which.equals("cpu") ? new CpuDevice() : gpu; }

    /** Both optimiser placements: the resident one's gradients add up on the device across GradCache's chunks. */
    @ParameterizedTest
    @CsvSource({"test, true", "test, false", "cpu, true"})
    void gradientsMatchTheReferenceWithAndWithoutGradCache(String which, boolean resident) {
        StateDict expected = SafeTensors.read(REF.resolve("expected.safetensors"));
        for (int chunk : new int[] {8, 3}) {
            try (DeviceTrainableClip m = new DeviceTrainableClip(hostModel(), device(which), resident)) {
                ReferenceParity.Report r = ReferenceParity.check(m, expected, 8, chunk);
                System.err.printf("tiny-vit on %s (resident %s), chunk %d: loss %.7f (ref %.7f), gradient relative L2 %.2e%n", which, resident,
                        chunk, r.loss(), r.referenceLoss(), r.relativeL2());
                assertTrue(r.ok(), which + " resident " + resident + " chunk " + chunk + ": " + r.failures());
            }
        }
    }

    private static final ClipTrainer.Options OPT = new ClipTrainer.Options(3, 1.0,
            new io.flinkclip.training.optim.CosineSchedule(2e-2, 1, 20), io.flinkclip.training.optim.AdamW.Hyper.openClipVit(),
            io.flinkclip.training.optim.WeightDecayRule.openClip());

    private static ClipTrainer.StepStats step(ClipTrainer t, int i) {
        Random r = new Random(300 + i);
        return t.train(GradCacheTest.pixels(r, 6, t.model().imageResolution()), GradCacheTest.tokens(r, 6, 400, 8));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void followsTheCpuTrainerAndResumesExactly(boolean resident) throws Exception {
        ClipTrainer cpu = new ClipTrainer(hostModel(), OPT);
        try (DeviceTrainableClip dm = new DeviceTrainableClip(hostModel(), gpu, resident);
             DeviceTrainableClip resumed = new DeviceTrainableClip(hostModel(), gpu, resident)) {
            ClipTrainer dev = new ClipTrainer(dm, OPT);
            double[] cpuLoss = new double[4], devLoss = new double[4];
            byte[] snapshot = null;
            for (int i = 0; i < 4; i++) {
                cpuLoss[i] = step(cpu, i).loss();
                devLoss[i] = step(dev, i).loss();
                if (i == 1) snapshot = dev.snapshot();
            }
            // every step's loss as on the CPU: step i's forward saw the parameters after step i−1 (uploaded by the trainer)
            for (int i = 0; i < 4; i++) assertEquals(cpuLoss[i], devLoss[i], 1e-4 * Math.abs(cpuLoss[i]), "loss of step " + i);
            assertTrue(Math.abs(cpuLoss[3] - cpuLoss[0]) > 1e-3, "the steps must change the loss for this check to mean anything");

            // a model built from the initial weights, restored to step 2: the same steps 3 and 4, bit for bit
            ClipTrainer again = new ClipTrainer(resumed, OPT);
            again.restore(snapshot);
            // a snapshot right after the restore, and another after it, with no step between: the same bytes (a resident
            // optimiser's host copies are dropped after each restore and snapshot, so each must fetch them again)
            assertArrayEquals(snapshot, again.snapshot(), "snapshot right after the restore");
            assertArrayEquals(snapshot, again.snapshot(), "second snapshot without a step between");
            for (int i = 2; i < 4; i++) assertEquals(devLoss[i], step(again, i).loss(), 0.0, "resumed step " + i);
            for (Tensor t : dm.parameters().tensors()) {
                assertArrayEquals(t.data(), resumed.parameters().get(t.name()).data(), 0f, t.name());
            }
        }
    }

    /** Clipping that bites (the tiny model's gradient norm is ~1) and GradCache chunks of 3 over batches of 6. */
    private static final ClipTrainer.Options CLIPPED = new ClipTrainer.Options(3, 0.05,
            new io.flinkclip.training.optim.CosineSchedule(2e-2, 1, 20), io.flinkclip.training.optim.AdamW.Hyper.openClipVit(),
            io.flinkclip.training.optim.WeightDecayRule.openClip());

    @Test
    void residentOptimizerTakesTheHostOptimizersSteps() {
        try (DeviceTrainableClip res = new DeviceTrainableClip(hostModel(), gpu, true);
             DeviceTrainableClip hst = new DeviceTrainableClip(hostModel(), gpu, false)) {
            ClipTrainer a = new ClipTrainer(res, CLIPPED), b = new ClipTrainer(hst, CLIPPED);
            for (int i = 0; i < 4; i++) {
                ClipTrainer.StepStats sa = step(a, i), sb = step(b, i);
                assertTrue(sb.gradNorm() > 2 * CLIPPED.maxGradNorm(), "clipping must act for this check: norm " + sb.gradNorm());
                assertEquals(sb.gradNorm(), sa.gradNorm(), 1e-5 * sb.gradNorm(), "gradient norm of step " + i);
                assertEquals(sb.loss(), sa.loss(), 1e-6 * Math.abs(sb.loss()), "loss of step " + i);
                assertEquals(sb.logitScale(), sa.logitScale(), 1e-6f, "logit scale after step " + i);
            }
            // the resident trainer never needed host gradient arrays (as large as the parameters); the host optimiser did
            assertFalse(res.host().gradientsAllocated(), "a resident trainer allocated host gradient arrays");
            assertTrue(hst.host().gradientsAllocated());
            // parameters and moments as the host optimiser left them; Adam normalises each element's update, so compare
            // against the step size (lr ≤ 2e-2): elements whose gradient is rounding noise may move differently
            StateDict sa = a.optimizerState(), sb = b.optimizerState();
            assertEquals(sb.get(io.flinkclip.training.optim.AdamW.STEP).longs()[0], sa.get(io.flinkclip.training.optim.AdamW.STEP).longs()[0]);
            assertEquals(sb.tensors().size(), sa.tensors().size(), "moment tensors");
            long far = 0, total = 0;
            double worst = 0;
            for (Tensor t : hst.parameters().tensors()) {
                float[] x = res.parameters().get(t.name()).data(), y = t.data();
                for (int j = 0; j < y.length; j++) {
                    double d = Math.abs(x[j] - y[j]);
                    worst = Math.max(worst, d);
                    if (d > 1e-4) far++;
                    total++;
                }
            }
            System.err.printf("resident vs host AdamW after 4 steps: max |Δparameter| %.2e, %d of %d beyond 1e-4%n", worst, far, total);
            assertTrue(worst < 2e-2, "no parameter may differ by one step's size (lr): " + worst);
            assertTrue(far <= total / 1000, far + " of " + total + " parameters differ by more than 1e-4");
            for (Tensor t : sb.tensors()) {
                if (t.data() == null) continue;
                float[] x = sa.get(t.name()).data(), y = t.data();
                double num = 0, den = 0;
                for (int j = 0; j < y.length; j++) { num += (x[j] - y[j]) * (double) (x[j] - y[j]); den += (double) y[j] * y[j]; }
                assertTrue(Math.sqrt(num) <= 1e-3 * Math.sqrt(den) + 1e-12, t.name() + ": relative L2 " + Math.sqrt(num / Math.max(den, 1e-30)));
            }
        }
    }

    @Test
    void nonFiniteResidentGradientIsNamedAndChangesNothing() {
        try (DeviceTrainableClip m = new DeviceTrainableClip(hostModel(), gpu, true)) {
            ClipTrainer t = new ClipTrainer(m, OPT);
            step(t, 0);
            StateDict before = m.parameters().copy();
            Random r = new Random(7);
            int n = 3, e = m.config().embedDim();
            m.zeroGrad();
            m.embedImages(GradCacheTest.pixels(r, n, m.imageResolution()), n, true);
            float[][] d = new float[n][e];
            d[1][2] = Float.NaN;
            m.backwardImages(d);
            ResidentOptimizer ro = m.residentOptimizer();
            assertFalse(Double.isFinite(ro.gradientSumOfSquares()));
            String bad = ro.firstNonFiniteGradient();
            assertNotNull(bad);
            assertTrue(bad.startsWith("visual."), bad);
            m.zeroGrad();
            assertTrue(Double.isFinite(ro.gradientSumOfSquares()), "zeroGrad clears the device gradients");

            // the trainer refuses such a step before anything changes, and names the parameter
            ClipTrainer poisoned = new ClipTrainer(new PoisonedImageGradients(m), OPT);
            float scale = m.logitScale().scalar();
            IllegalStateException ex = assertThrows(IllegalStateException.class, () -> step(poisoned, 1));
            assertTrue(ex.getMessage().contains("non-finite gradient in visual.") && ex.getMessage().contains("parameters unchanged"), ex.getMessage());
            assertEquals(0, poisoned.step());
            assertEquals(scale, m.logitScale().scalar(), 0f);
            for (Tensor p : before.tensors()) assertArrayEquals(p.data(), m.parameters().get(p.name()).data(), 0f, p.name());
            // the model itself trains on afterwards
            assertTrue(Double.isFinite(step(t, 1).loss()));
        }
    }

    /** The device model with a NaN in every image-embedding gradient: a finite loss whose tower gradients are not. */
    private record PoisonedImageGradients(DeviceTrainableClip m) implements TrainableClip {
        @Override public float[][] embedImages(float[] pixels, int n, boolean keep) { return m.embedImages(pixels, n, keep); }
        @Override public float[][] embedTexts(int[][] tokens, boolean keep) { return m.embedTexts(tokens, keep); }
        @Override public void backwardImages(float[][] d) {
            d[0][0] = Float.NaN;
            m.backwardImages(d);
        }
        @Override public void backwardTexts(float[][] d) { m.backwardTexts(d); }
        @Override public StateDict parameters() { return m.parameters(); }
        @Override public StateDict gradients() { return m.gradients(); }
        @Override public void zeroGrad() { m.zeroGrad(); }
        @Override public int imageResolution() { return m.imageResolution(); }
        @Override public int contextLength() { return m.contextLength(); }
        @Override public void parametersChanged() { m.parametersChanged(); }
        @Override public Tensor logitScale() { return m.logitScale(); }
        @Override public Tensor logitScaleGradient() { return m.logitScaleGradient(); }
        @Override public ResidentOptimizer residentOptimizer() { return m.residentOptimizer(); }
    }

    @Test
    void cpuSettingKeepsTheHostModelAndResNetsAreRefused() {
        ClipModelTrainable host = hostModel();
        assertSame(host, DeviceTrainableClip.onDevice(host, "cpu"));
        assertSame(host, DeviceTrainableClip.onDevice(host, null));
        Path rn = REF.resolveSibling("tiny-rn-perturbed");
        StateDict w = SafeTensors.read(rn.resolve("weights.safetensors"));
        ClipModelTrainable resnet = new ClipModelTrainable(w, ClipConfig.infer(w).withHeads(8, 2));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> new DeviceTrainableClip(resnet, gpu, true));
        assertTrue(e.getMessage().contains("ViT"), e.getMessage());
    }
}
