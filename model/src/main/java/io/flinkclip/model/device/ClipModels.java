package io.flinkclip.model.device;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.kernels.device.CpuDevice;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.Devices;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipEncoder;
import io.flinkclip.model.ClipLoader;
import io.flinkclip.model.ClipModel;
import io.flinkclip.model.image.ImagePreprocessor;
import io.flinkclip.model.text.ClipTokenizer;

import java.util.Locale;
import java.util.logging.Logger;

/**
 * Picks the encoder for a {@code clip.device} setting: {@code cpu} gives the CPU {@link ClipModel} (the exact
 * float32 path over the Vector API kernels); {@code cuda[:N]} and {@code opencl[:P:D]} give a
 * {@link DeviceClipModel} or fail with one clear {@code DeviceException}; {@code auto} (or null) tries CUDA, then
 * OpenCL where {@code -Dclip.device.auto.opencl=true}, and logs its fall back to the CPU model.
 * A returned {@link DeviceClipModel} owns its device: close it when done.
 */
public final class ClipModels {
    private static final Logger LOG = Logger.getLogger(ClipModels.class.getName());

    private ClipModels() {}

    /**
     * A complete {@link Clip} (as {@link ClipLoader#fromStateDict}) whose encoder runs where {@code deviceSpec} says;
     * {@code tokenizer} may be null for image-only use. If {@code clip.encoder()} is a {@link DeviceClipModel}, close it when done.
     */
    public static Clip clip(StateDict sd, ClipTokenizer tokenizer, ClipLoader.Overrides overrides, String deviceSpec) {
        return new Clip(onDevice(sd, ClipLoader.config(sd, overrides), deviceSpec), tokenizer, new ImagePreprocessor());
    }

    public static ClipEncoder onDevice(StateDict sd, ClipConfig cfg, String deviceSpec) {
        return onDevice(sd, cfg, deviceSpec, ClipModel.DEFAULT_MAX_BATCH);
    }

    public static ClipEncoder onDevice(StateDict sd, ClipConfig cfg, String deviceSpec, int maxBatch) {
        String spec = deviceSpec == null ? "auto" : deviceSpec.trim().toLowerCase(Locale.ROOT);
        if (spec.equals("cpu")) return ClipModel.fromStateDict(sd, cfg).withMaxBatch(maxBatch);
        ClipModel cpu = ClipModel.fromStateDict(sd, cfg); // validates before any device work
        Device device = Devices.open(spec);
        if (device instanceof CpuDevice) {
            device.close();
            LOG.info("clip.device=" + spec + ": no GPU device could be opened; using the CPU ClipModel");
            return cpu.withMaxBatch(maxBatch);
        }
        DeviceClipModel m = DeviceClipModel.adopt(cpu, sd, cfg, device, maxBatch);
        LOG.info("clip.device=" + spec + ": encoding on " + device.describe());
        return m;
    }
}
