package io.flinkclip.training;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.device.CpuDevice;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.Devices;
import io.flinkclip.model.device.DeviceClipTraining;

import java.util.HashMap;
import java.util.Map;


/**
 * A ViT CLIP whose forward and backward passes run on a {@link Device} (CUDA, OpenCL) while the trainer stays on the
 * host: parameters, gradients, AdamW, clipping, checkpoints and GradCache are those of {@link ClipModelTrainable},
 * so a job resumes exactly as on the CPU. The device holds a copy of the parameters, refreshed by
 * {@link #parametersChanged()} (the trainer calls it after every optimiser step and restore).
 *
 * <p>Costs against a device-resident optimiser ({@link DeviceClipTraining#trainStep}): each tower's backward downloads that
 * tower's gradients (added straight into the host arrays) and each step uploads every parameter (for ViT-B/32 about
 * 0.6 GB each way). A keeping
 * {@code embed*} call leaves its activations on the device for the backward that follows it.
 *
 * <p>Not thread-safe, like the trainer that drives it. Close it to free the device memory.
 */
public final class DeviceTrainableClip implements TrainableClip, AutoCloseable {
    private final ClipModelTrainable host;
    private final DeviceClipTraining device;
    private final Device owned; // closed with this model when it was opened here

    /**
     * @param host   the live parameters and gradients (a {@link ClipModelTrainable} over the model's weights)
     * @param target the device, owned by the caller
     */
    public DeviceTrainableClip(ClipModelTrainable host, Device target) { this(host, target, false); }

    private DeviceTrainableClip(ClipModelTrainable host, Device target, boolean owns) {
        this.host = host;
        this.owned = owns ? target : null;
        if (host.config().isResNet()) throw new UnsupportedOperationException("device training covers ViT CLIP models; train the modified ResNet on the CPU");
        StateDict sd = new StateDict();
        for (Tensor t : host.parameters().tensors()) sd.put(t);
        for (Tensor t : host.buffers().tensors()) sd.put(t);
        this.device = DeviceClipTraining.create(sd, host.config(), target);
    }

    /**
     * The model for a {@code clip.train.device} setting ({@link Devices#open}): {@code host} itself for {@code cpu}, or
     * when {@code auto} finds no GPU; else the device model, which owns the opened device.
     */
    public static TrainableClip onDevice(ClipModelTrainable host, String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("cpu")) return host;
        Device d = Devices.open(spec);
        if (d instanceof CpuDevice) { // auto without a GPU: the host model is the faster CPU path
            d.close();
            return host;
        }
        try {
            DeviceTrainableClip m = new DeviceTrainableClip(host, d, true);
            java.util.logging.Logger.getLogger(DeviceTrainableClip.class.getName()).info("clip.train.device=" + spec + ": training passes on " + d.describe());
            return m;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    public ClipConfig config() { return host.config(); }

    /** The host side: parameters, gradients and the CPU model over them (evaluation, model files). */
    public ClipModelTrainable host() { return host; }

    @Override
    public float[][] embedImages(float[] pixels, int n, boolean keepActivations) {
        return rows(keepActivations ? device.forwardKeep(pixels, n, null)[0] : device.embed(pixels, n, null)[0], n);
    }

    @Override
    public float[][] embedTexts(int[][] tokens, boolean keepActivations) {
        return rows(keepActivations ? device.forwardKeep(null, 0, tokens)[1] : device.embed(null, 0, tokens)[1], tokens.length);
    }

    @Override
    public void backwardImages(float[][] dEmbeddings) {
        device.backwardKeptInto(flat(dEmbeddings, dEmbeddings == null ? 0 : dEmbeddings.length), null, liveGradients());
    }

    @Override
    public void backwardTexts(float[][] dEmbeddings) {
        device.backwardKeptInto(null, flat(dEmbeddings, dEmbeddings == null ? 0 : dEmbeddings.length), liveGradients());
    }

    /** The live host gradient arrays by parameter name: the device adds its gradients into them (the loss owns logit_scale's). */
    private Map<String, float[]> liveGradients() {
        Map<String, float[]> live = new HashMap<>();
        for (Tensor t : host.gradients().tensors()) live.put(t.name(), t.data());
        return live;
    }

    /** Uploads the host parameters: after an optimiser step, a restore, or any other write to {@link #parameters()}. */
    @Override
    public void parametersChanged() { device.uploadParameters(host.parameters()); }

    @Override public StateDict parameters() { return host.parameters(); }

    @Override public StateDict gradients() { return host.gradients(); }

    @Override public void zeroGrad() { host.zeroGrad(); }

    @Override public StateDict buffers() { return host.buffers(); }

    @Override public int imageResolution() { return host.imageResolution(); }

    @Override public int contextLength() { return host.contextLength(); }

    @Override
    public void close() {
        try {
            device.close();
        } finally {
            if (owned != null) owned.close();
        }
    }

    private float[][] rows(float[] flat, int n) { return ClipModelTrainable.rows(flat, n, host.config().embedDim()); }

    private float[] flat(float[][] rows, int n) { return ClipModelTrainable.flat(rows, n, host.config().embedDim()); }
}
