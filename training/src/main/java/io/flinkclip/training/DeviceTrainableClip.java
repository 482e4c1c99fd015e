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
 * A ViT CLIP whose forward and backward passes run on a {@link Device} (CUDA, OpenCL) under the host's
 * {@link ClipTrainer}: GradCache, the loss, the schedule and checkpoints are the trainer's, so a job resumes exactly
 * as on the CPU. Two ways to run the optimiser:
 * <ul>
 * <li><b>resident</b> (the default, and what {@link #onDevice} builds): the tower gradients add up on the device, the
 * trainer clips and runs AdamW there ({@link ResidentOptimizer}), and the host copies of the parameters (and, through
 * the trainer, the moments) are refreshed only when read: {@link #parameters()} downloads them when the device's are
 * newer, so a checkpoint or a model file sees the current values. No host gradient arrays are allocated unless
 * {@link #gradients()} is read. logit_scale lives on the host.</li>
 * <li><b>host optimiser</b>: each tower's backward downloads that tower's gradients into the host arrays and the
 * trainer's AdamW runs on the host, then {@link #parametersChanged()} uploads every parameter (for ViT-B/32 about
 * 0.6 GB each way per step). The reference for the resident way in tests.</li>
 * </ul>
 * A keeping {@code embed*} call leaves its activations on the device for the backward that follows it.
 *
 * <p>Not thread-safe, like the trainer that drives it. Close it to free the device memory.
 */
public final class DeviceTrainableClip implements TrainableClip, AutoCloseable {
    private final ClipModelTrainable host;
    private final DeviceClipTraining device;
    private final Device owned; // closed with this model when it was opened here
    private final ResidentOptimizer resident; // null: the host optimiser
    /** Resident mode: the device's parameters / accumulated gradients are newer than the host arrays. */
    private boolean hostParametersStale, hostGradientsStale;

    /**
     * @param host   the parameters and gradients on the host (a {@link ClipModelTrainable} over the model's weights)
     * @param target the device, owned by the caller
     * @param residentOptimizer true: gradients, AdamW and its moments stay on the device (see the class comment)
     */
    public DeviceTrainableClip(ClipModelTrainable host, Device target, boolean residentOptimizer) { this(host, target, residentOptimizer, false); }

    private DeviceTrainableClip(ClipModelTrainable host, Device target, boolean residentOptimizer, boolean owns) {
        this.host = host;
        this.owned = owns ? target : null;
        if (host.config().isResNet()) throw new UnsupportedOperationException("device training covers ViT CLIP models; train the modified ResNet on the CPU");
        StateDict sd = new StateDict();
        for (Tensor t : host.parameters().tensors()) sd.put(t);
        for (Tensor t : host.buffers().tensors()) sd.put(t);
        this.device = DeviceClipTraining.create(sd, host.config(), target);
        this.resident = residentOptimizer ? new Resident() : null;
    }

    /**
     * The model for a {@code clip.train.device} setting ({@link Devices#open}): {@code host} itself for {@code cpu}, or
     * when {@code auto} finds no GPU; else the device model with its optimiser resident, which owns the opened device.
     */
    public static TrainableClip onDevice(ClipModelTrainable host, String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("cpu")) return host;
        Device d = Devices.open(spec);
        if (d instanceof CpuDevice) { // auto without a GPU: the host model is the faster CPU path
            d.close();
            return host;
        }
        try {
            DeviceTrainableClip m = new DeviceTrainableClip(host, d, true, true);
            java.util.logging.Logger.getLogger(DeviceTrainableClip.class.getName()).info("clip.train.device=" + spec + ": training passes and AdamW on " + d.describe());
            return m;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    public ClipConfig config() { return host.config(); }

    /** The host side: parameters, gradients and the CPU model over them (evaluation, model files), parameters brought up to date. */
    public ClipModelTrainable host() {
        parameters();
        return host;
    }

    @Override
    public float[][] embedImages(float[] pixels, int n, boolean keepActivations) {
        return rows(keepActivations ? device.forwardKeep(pixels, n, null)[0] : device.embed(pixels, n, null)[0], n);
    }

    @Override
    public float[][] embedTexts(int[][] tokens, boolean keepActivations) {
        return rows(keepActivations ? device.forwardKeep(null, 0, tokens)[1] : device.embed(null, 0, tokens)[1], tokens.length);
    }

    @Override
    public void backwardImages(float[][] dEmbeddings) { backward(flat(dEmbeddings), null); }

    @Override
    public void backwardTexts(float[][] dEmbeddings) { backward(null, flat(dEmbeddings)); }

    private void backward(float[] dImage, float[] dText) {
        if (resident != null) {
            device.backwardKeptAccumulate(dImage, dText);
            hostGradientsStale = true;
        } else {
            device.backwardKeptInto(dImage, dText, liveGradients());
        }
    }

    /** The live host gradient arrays by parameter name: the device adds its gradients into them (the loss owns logit_scale's). */
    private Map<String, float[]> liveGradients() {
        Map<String, float[]> live = new HashMap<>();
        for (Tensor t : host.gradients().tensors()) live.put(t.name(), t.data());
        return live;
    }

    /**
     * Uploads the host parameters: after a write to {@link #parameters()} (a restore; with the host optimiser also
     * after every step).
     */
    @Override
    public void parametersChanged() {
        device.uploadParameters(host.parameters());
        hostParametersStale = false;
    }

    /** The live host parameters; with the optimiser resident, first brought up to date from the device when it is newer. */
    @Override
    public StateDict parameters() {
        if (hostParametersStale) {
            device.copyTowerParametersTo(host.parameters());
            hostParametersStale = false;
        }
        return host.parameters();
    }

    /** The host gradients; with the optimiser resident, first replaced by the device's accumulated ones when newer (a full download). */
    @Override
    public StateDict gradients() {
        if (hostGradientsStale) {
            device.copyGradientsTo(host.gradients());
            hostGradientsStale = false;
        }
        return host.gradients();
    }

    @Override
    public void zeroGrad() {
        if (resident == null) {
            host.zeroGrad();
            return;
        }
        // Resident: the device's gradients are the truth (a read of gradients() downloads them); only logit_scale's host
        // gradient is zeroed here: filling every host array would cost a pass over 0.6 GB per step for ViT-B/32.
        device.zeroGradients();
        logitScaleGradient().data()[0] = 0f;
        hostGradientsStale = true;
    }

    /** On the host in both modes: the loss reads it, the trainer's scalar update writes it; the device never needs it. */
    @Override public Tensor logitScale() { return host.parameters().get(LOGIT_SCALE); }

    @Override public Tensor logitScaleGradient() { return host.logitScaleGradient(); } // without allocating the others

    @Override public ResidentOptimizer residentOptimizer() { return resident; }

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

    private float[] flat(float[][] rows) { return ClipModelTrainable.flat(rows, rows == null ? 0 : rows.length, host.config().embedDim()); }

    /** The optimiser on the device: DeviceClipTraining's gradient buffer, moments and parameters. */
    private final class Resident implements ResidentOptimizer {
        @Override public double gradientSumOfSquares() { return device.gradientSumOfSquares(); }

        @Override public String firstNonFiniteGradient() { return device.firstNonFiniteGradient(); }

        @Override
        public void adamW(float gradScale, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps, DeviceClipTraining.DecayFactor decay) {
            device.applyAdamW(gradScale, beta1, beta2, bc2Sqrt, stepSize, eps, decay);
            hostParametersStale = true;
        }

        @Override public void momentsToHost(DeviceClipTraining.HostArrays m, DeviceClipTraining.HostArrays v) { device.downloadMoments(m, v); }

        @Override public void momentsToDevice(DeviceClipTraining.HostArrays m, DeviceClipTraining.HostArrays v) { device.uploadMoments(m, v); }
    }
}
