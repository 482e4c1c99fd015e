package io.flinkclip.model.device;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;
import io.flinkclip.model.ClipModel;
import io.flinkclip.model.nn.ClipBackward;
import io.flinkclip.model.nn.ContrastiveLoss;
import io.flinkclip.model.nn.Gradients;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * CLIP's contrastive training step (forward keeping activations, loss, backward) on a {@link Device} for the ViT
 * and text towers: the same results as {@link ClipModel#contrastiveGradients} with OpenAI's parameter names.
 * Activations and backward scratch are planned regions of one reused arena; parameter gradients are regions of
 * one gradient buffer, downloaded once per step. The only host round trip inside a step is at the loss: the
 * [n, embedDim] features come down, the double-precision {@link ContrastiveLoss} runs on the host, and their
 * gradients go back up. {@link #backward} takes feature gradients from a custom loss instead.
 * The modified ResNet has no device backward (use the CPU model for it).
 */
public final class DeviceClipTraining implements AutoCloseable {
    private static final Set<String> NOT_PARAMETERS = Set.of("logit_scale", "input_resolution", "context_length", "vocab_size");
    private final Device device;
    private final ClipConfig config;
    private final float logitScale;
    private final DeviceWeights weights;
    private final DeviceVisionTransformer vision;
    private final DeviceTextTransformer text;
    private final DeviceGradients grads;
    private final DeviceArena arena;
    private final DeviceTokens tokenBuffers;
    private boolean closed;

    private DeviceClipTraining(Device device, ClipConfig config, float logitScale, StateDict sd) {
        this.device = device;
        this.config = config;
        this.logitScale = logitScale;
        weights = new DeviceWeights(device, sd);
        arena = new DeviceArena(device);
        tokenBuffers = new DeviceTokens(device, 0);
        try {
            vision = new DeviceVisionTransformer(device, weights, config);
            text = new DeviceTextTransformer(device, weights, config);
            List<String> params = new ArrayList<>();
            for (Tensor t : sd.tensors()) if (t.data() != null && !NOT_PARAMETERS.contains(t.name())) params.add(t.name());
            grads = new DeviceGradients(device, sd, params);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * Uploads the weights of a ViT CLIP (validated as {@link ClipModel#fromStateDict} does) to {@code device}, which the
     * caller keeps owning. The weights are a snapshot: an optimiser updating the state dict must build a new instance.
     */
    public static DeviceClipTraining create(StateDict sd, ClipConfig cfg, Device device) {
        if (device == null) throw new IllegalArgumentException("device is required");
        ClipModel checked = ClipModel.fromStateDict(sd, cfg);
        if (cfg.isResNet()) {
            throw new UnsupportedOperationException("the device backward covers ViT CLIP models; train the modified ResNet with ClipModel.contrastiveGradients");
        }
        return new DeviceClipTraining(device, cfg, checked.logitScale(), sd);
    }

    /** Loss, batch logits and d loss / d every parameter (including {@code logit_scale}) for image i paired with text i. */
    public synchronized ClipBackward.Result contrastiveGradients(float[] pixels, int n, int[][] tokens) {
        if (n < 1) throw new IllegalArgumentException("a training batch needs at least one image, got n=" + n);
        if (tokens == null || tokens.length != n) {
            throw new IllegalArgumentException(n + " images but " + (tokens == null ? "no" : tokens.length) + " texts: a contrastive batch pairs them one to one");
        }
        ContrastiveLoss.Result[] loss = new ContrastiveLoss.Result[1];
        Gradients g = new Gradients();
        run(pixels, n, tokens, (img, txt) -> {
            loss[0] = ContrastiveLoss.compute(img, txt, n, config.embedDim(), logitScale);
            return new float[][] {loss[0].dImage(), loss[0].dText()};
        }, g);
        g.add("logit_scale", new int[0], new float[] {loss[0].dLogitScale()});
        return new ClipBackward.Result(loss[0].loss(), loss[0].logitsPerImage(), g);
    }

    /**
     * Training forward of {@code n} images and the token rows, then backward from the given feature gradients
     * dImage [n, embedDim] and dText [rows, embedDim], adding (+=) every tower parameter's gradient into {@code g}
     * (logit_scale's belongs to the caller's loss). For custom losses and GradCache-style re-computation; either
     * tower may be absent (n = 0 with null dImage, or no rows with null dText).
     */
    public synchronized void backward(float[] pixels, int n, int[][] tokens, float[] dImage, float[] dText, Gradients g) {
        int e = config.embedDim(), m = tokens == null ? 0 : tokens.length;
        if (g == null) throw new IllegalArgumentException("gradients accumulator is required");
        if ((dImage == null ? 0 : dImage.length) != n * e || (dText == null ? 0 : dText.length) != m * e) {
            throw new IllegalArgumentException("feature gradients must be [" + n + ", " + e + "] and [" + m + ", " + e + "]");
        }
        run(pixels, n, tokens == null ? new int[0][] : tokens, (img, txt) -> new float[][] {dImage, dText}, g);
    }

    /** Maps the forward's features (image, text) to their loss gradients (image, text). */
    private interface FeatureLoss { float[][] gradients(float[] imageFeatures, float[] textFeatures); }

    private void run(float[] pixels, int n, int[][] tokens, FeatureLoss loss, Gradients g) {
        if (closed) throw new IllegalStateException("DeviceClipTraining on " + device.describe() + " is closed");
        if (n < 0) throw new IllegalArgumentException("negative image count " + n);
        Inputs.checkPixels(config, pixels == null && n == 0 ? new float[0] : pixels, n);
        Inputs.checkTokens(config, tokens);
        int m = tokens.length, e = config.embedDim();
        if (n == 0 && m == 0) throw new IllegalArgumentException("a training batch needs at least one image or text");
        Inputs.TokenBatch batch = m == 0 ? null : Inputs.TokenBatch.of(tokens, 0, m);

        Layout l = new Layout();
        DeviceVisionTransformer.TrainPlan vp = n == 0 ? null : vision.planTrain(l, n);
        DeviceTextTransformer.TrainPlan tp = m == 0 ? null : text.planTrain(l, m, batch.seq());
        DeviceBuffer a = arena.ensure(l.size());
        float[] img = new float[n * e], txt = new float[m * e];
        if (n > 0) {
            device.write(a, vp.pixels(), pixels, 0, pixels.length);
            device.download(a, vision.forwardTrain(a, n, vp), img, 0, img.length);
        }
        if (m > 0) {
            tokenBuffers.upload(batch, m);
            device.download(a, text.forwardTrain(a, m, batch.seq(), tokenBuffers.ids(), tokenBuffers.poolRows(), tp), txt, 0, txt.length);
        }
        float[][] d = loss.gradients(img, txt);
        grads.zero();
        if (m > 0 && d[1] != null) {
            device.write(a, tp.dOut(), d[1], 0, m * e);
            text.backward(a, m, batch.seq(), tokenBuffers.ids(), tokenBuffers.poolRows(), tp, grads);
        }
        if (n > 0 && d[0] != null) {
            device.write(a, vp.dOut(), d[0], 0, n * e);
            vision.backward(a, n, vp, grads);
        }
        grads.addTo(g);
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
            grads.close();
            weights.close();
        }
    }
}
