package io.flinkclip.model.device;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;
import io.flinkclip.kernels.device.Devices;
import io.flinkclip.model.ClipEncoder;
import io.flinkclip.model.ClipModel;

import java.util.Arrays;

/**
 * The CLIP forward pass (ViT or modified ResNet, causal text transformer) running entirely on a {@link Device}.
 * Weights are uploaded once at construction; activations live in one device arena that is reused across calls
 * and grows only when a batch needs more; per call only the inputs (pixels, or token ids and pooled row
 * indexes) go up and the final features come down. Inputs are encoded in chunks of at most {@code maxBatch}
 * rows, which bounds the arena. Unlike the CPU {@link ClipModel}, which shares the state dict's arrays, the
 * device weights are a snapshot: changes to the state dict after construction are not seen.
 *
 * <p>Calls are serialised ({@code synchronized}): the device has one queue and the arena one owner. Close the
 * model to free its device memory (and the device, when the model opened it).
 */
public final class DeviceClipModel implements ClipEncoder, AutoCloseable {
    private final Device device;
    private final boolean ownsDevice;
    private final ClipConfig config;
    private final float logitScale;
    private final int maxBatch;
    private final DeviceWeights weights;
    private final DeviceImageTower vision;
    private final DeviceTextTransformer text;
    private final DeviceArena arena;
    private final DeviceTokens tokenBuffers;
    private boolean closed;

    private DeviceClipModel(Device device, boolean ownsDevice, ClipConfig config, float logitScale, int maxBatch, StateDict sd) {
        this.device = device;
        this.ownsDevice = ownsDevice;
        this.config = config;
        this.logitScale = logitScale;
        this.maxBatch = maxBatch;
        weights = new DeviceWeights(device, sd);
        arena = new DeviceArena(device);
        tokenBuffers = new DeviceTokens(device, maxBatch);
        try {
            vision = config.isResNet() ? new DeviceResNet(device, weights, config) : new DeviceVisionTransformer(device, weights, config);
            text = new DeviceTextTransformer(device, weights, config);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * Builds the model on {@code device} (which the caller keeps owning). The state dict is validated exactly as
     * {@link ClipModel#fromStateDict} does (shapes, finiteness, no unused tensors) before anything is uploaded.
     */
    public static DeviceClipModel create(StateDict sd, ClipConfig cfg, Device device, int maxBatch) {
        if (device == null) throw new IllegalArgumentException("device is required");
        return build(ClipModel.fromStateDict(sd, cfg), sd, cfg, device, false, maxBatch);
    }

    public static DeviceClipModel create(StateDict sd, ClipConfig cfg, Device device) {
        return create(sd, cfg, device, ClipModel.DEFAULT_MAX_BATCH);
    }

    /** Opens {@code deviceSpec} (see {@link Devices#open}) and builds the model on it; closing the model closes the device. */
    public static DeviceClipModel open(StateDict sd, ClipConfig cfg, String deviceSpec, int maxBatch) {
        ClipModel checked = ClipModel.fromStateDict(sd, cfg);
        return adopt(checked, sd, cfg, Devices.open(deviceSpec), maxBatch);
    }

    /** Builds on an opened device that the model then owns (closed with it, or here if building fails). */
    static DeviceClipModel adopt(ClipModel checked, StateDict sd, ClipConfig cfg, Device device, int maxBatch) {
        try {
            return build(checked, sd, cfg, device, true, maxBatch);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** {@code checked} is the CPU model built from the same state dict: proof that it was validated. */
    private static DeviceClipModel build(ClipModel checked, StateDict sd, ClipConfig cfg, Device device, boolean owns, int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        return new DeviceClipModel(device, owns, cfg, checked.logitScale(), maxBatch, sd);
    }

    @Override
    public ClipConfig config() { return config; }

    @Override
    public float logitScale() { return logitScale; }

    public Device device() { return device; }

    public int maxBatch() { return maxBatch; }

    /** e.g. "opencl:0:0 … : 151 weight tensors (1.2 MB), arena 3.4 MB" */
    public synchronized String describe() {
        return device.describe() + ": " + weights.tensors() + " weight tensors (" + mb(weights.elements()) + "), arena " + mb(arena.capacity());
    }

    private static String mb(long elements) { return String.format(java.util.Locale.ROOT, "%.1f MB", elements * 4 / 1e6); }

    /**
     * NaN or infinite pixels are found on the device (a pass over the uploaded pixels instead of a host pass over the whole
     * batch before its upload, which took 10 ms of a 60 ms ViT-B/32 batch of 256 on an H100 host); the error names the
     * first one, as the CPU model's does.
     */
    @Override
    public synchronized float[][] encodeImages(float[] pixels, int n) {
        checkOpen();
        Inputs.checkPixelCount(config, pixels, n);
        int r = config.imageResolution(), per = 3 * r * r;
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += maxBatch) {
            int m = Math.min(maxBatch, n - start);
            long size = vision.arenaSize(m);
            int flagAt = Math.toIntExact(size); // one element after the plan (its first region, at 0, is the pixels)
            DeviceBuffer a = arena.ensure(size + 1);
            device.write(a, 0, pixels, start * per, m * per);
            Inputs.flagPixels(device, a, 0, m * per, flagAt);
            int features = vision.forward(a, m);
            Inputs.checkFlag(device, a, flagAt, config, pixels, start * per);
            split(a, features, m, out, start);
        }
        return out;
    }

    @Override
    public synchronized float[][] encodeTexts(int[][] tokens) {
        checkOpen();
        Inputs.checkTokens(config, tokens);
        int n = tokens.length;
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += maxBatch) {
            int m = Math.min(maxBatch, n - start);
            Inputs.TokenBatch batch = Inputs.TokenBatch.of(tokens, start, m);
            tokenBuffers.upload(batch, m);
            DeviceBuffer a = arena.ensure(text.arenaSize(m, batch.seq()));
            split(a, text.forward(a, m, batch.seq(), tokenBuffers.ids(), tokenBuffers.poolRows()), m, out, start);
        }
        return out;
    }

    private void split(DeviceBuffer a, int offset, int m, float[][] out, int start) {
        int d = config.embedDim();
        float[] flat = new float[m * d];
        device.download(a, offset, flat, 0, flat.length);
        for (int i = 0; i < m; i++) out[start + i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("DeviceClipModel on " + device.describe() + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            device.synchronize();
        } finally {
            arena.close();
            tokenBuffers.close();
            weights.close();
            if (ownsDevice) device.close();
        }
    }
}
