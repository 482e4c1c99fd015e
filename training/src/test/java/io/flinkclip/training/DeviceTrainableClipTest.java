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

    @ParameterizedTest
    @ValueSource(strings = {"test", "cpu"})
    void gradientsMatchTheReferenceWithAndWithoutGradCache(String which) {
        StateDict expected = SafeTensors.read(REF.resolve("expected.safetensors"));
        for (int chunk : new int[] {8, 3}) {
            try (DeviceTrainableClip m = new DeviceTrainableClip(hostModel(), device(which))) {
                ReferenceParity.Report r = ReferenceParity.check(m, expected, 8, chunk);
                System.err.printf("tiny-vit on %s, chunk %d: loss %.7f (ref %.7f), gradient relative L2 %.2e%n", which, chunk, r.loss(),
                        r.referenceLoss(), r.relativeL2());
                assertTrue(r.ok(), which + " chunk " + chunk + ": " + r.failures());
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

    @Test
    void followsTheCpuTrainerAndResumesExactly() throws Exception {
        ClipTrainer cpu = new ClipTrainer(hostModel(), OPT);
        try (DeviceTrainableClip dm = new DeviceTrainableClip(hostModel(), gpu);
             DeviceTrainableClip resumed = new DeviceTrainableClip(hostModel(), gpu)) {
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
            for (int i = 2; i < 4; i++) assertEquals(devLoss[i], step(again, i).loss(), 0.0, "resumed step " + i);
            for (Tensor t : dm.parameters().tensors()) {
                assertArrayEquals(t.data(), resumed.parameters().get(t.name()).data(), 0f, t.name());
            }
        }
    }

    @Test
    void cpuSettingKeepsTheHostModelAndResNetsAreRefused() {
        ClipModelTrainable host = hostModel();
        assertSame(host, DeviceTrainableClip.onDevice(host, "cpu"));
        assertSame(host, DeviceTrainableClip.onDevice(host, null));
        Path rn = REF.resolveSibling("tiny-rn-perturbed");
        StateDict w = SafeTensors.read(rn.resolve("weights.safetensors"));
        ClipModelTrainable resnet = new ClipModelTrainable(w, ClipConfig.infer(w).withHeads(8, 2));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> new DeviceTrainableClip(resnet, gpu));
        assertTrue(e.getMessage().contains("ViT"), e.getMessage());
    }
}
