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
 * one gradient buffer. The only host round trip is at the loss: the [n, embedDim] features come down, the
 * double-precision {@link ContrastiveLoss} runs on the host, and their gradients go back up.
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
    private boolean closed;

    private DeviceClipTraining(Device device, ClipConfig config, float logitScale, StateDict sd) {
        this.device = device;
        this.config = config;
        this.logitScale = logitScale;
        weights = new DeviceWeights(device, sd);
        arena = new DeviceArena(device);
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
        if (closed) throw new IllegalStateException("DeviceClipTraining on " + device.describe() + " is closed");
        if (n < 1) throw new IllegalArgumentException("a training batch needs at least one image, got n=" + n);
        Inputs.checkPixels(config, pixels, n);
        Inputs.checkTokens(config, tokens);
        if (tokens.length != n) throw new IllegalArgumentException(n + " images but " + tokens.length + " texts: a contrastive batch pairs them one to one");
        Inputs.TokenBatch batch = Inputs.TokenBatch.of(tokens, 0, n);
        int seq = batch.seq(), e = config.embedDim();

        Layout l = new Layout();
        DeviceVisionTransformer.TrainPlan vp = vision.planTrain(l, n);
        DeviceTextTransformer.TrainPlan tp = text.planTrain(l, n, seq);
        DeviceBuffer a = arena.ensure(l.size());
        try (DeviceBuffer ids = device.allocate(batch.ids().length); DeviceBuffer rows = device.allocate(n)) {
            device.write(a, vp.pixels(), pixels, 0, pixels.length);
            device.write(ids, 0, batch.ids(), 0, batch.ids().length);
            device.write(rows, 0, batch.poolRows(), 0, n);

            float[] img = new float[n * e], txt = new float[n * e];
            device.download(a, vision.forwardTrain(a, n, vp), img, 0, img.length);
            device.download(a, text.forwardTrain(a, n, seq, ids, rows, tp), txt, 0, txt.length);
            ContrastiveLoss.Result loss = ContrastiveLoss.compute(img, txt, n, e, logitScale);
            device.write(a, vp.dOut(), loss.dImage(), 0, n * e);
            device.write(a, tp.dOut(), loss.dText(), 0, n * e);

            grads.zero();
            text.backward(a, n, seq, ids, rows, tp, grads);
            vision.backward(a, n, vp, grads);
            Gradients g = new Gradients();
            g.add("logit_scale", new int[0], new float[] {loss.dLogitScale()});
            grads.addTo(g);
            return new ClipBackward.Result(loss.loss(), loss.logitsPerImage(), g);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            device.synchronize();
        } finally {
            arena.close();
            grads.close();
            weights.close();
        }
    }
}
