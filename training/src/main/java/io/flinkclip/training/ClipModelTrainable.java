package io.flinkclip.training;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.ClipModel;
import io.flinkclip.model.nn.ClipBackward;
import io.flinkclip.model.nn.Gradients;

import java.util.Arrays;

/**
 * The product CLIP ({@link ClipModel}, ViT or modified ResNet) as a {@link TrainableClip}, backpropagating through
 * {@link ClipBackward}.
 *
 * <p>Live parameters: {@link ClipModel#fromStateDict} keeps the state dict's float arrays without copying, and
 * {@link #parameters()} hands out those same arrays, so an optimizer's in-place update is what the next forward
 * computes with. BatchNorm is in <b>eval mode</b> (running statistics, never updated — what ClipBackward does and
 * what the reference gradients were made with); the statistics and {@code num_batches_tracked} are exposed as
 * {@link #buffers()} only so that model files and checkpoints stay complete.
 *
 * <p>Not thread-safe: one trainer drives it (the kernels parallelise internally).
 */
public final class ClipModelTrainable implements TrainableClip {
    private final ClipConfig config;
    private final ClipModel model;
    private final StateDict parameters = new StateDict(), buffers = new StateDict();
    /**
     * Gradient arrays, allocated on first use ({@link #ensureGradients}): a device model whose gradients stay on its GPU
     * never needs them (as large as the parameters). logit_scale's is allocated at once: the loss always adds into it.
     */
    private StateDict gradients;
    private Gradients grads;
    private final Tensor logitScaleGradient;
    private ClipBackward.Pass imagePass, textPass;
    private volatile boolean trainBatchNorm = true;

    /** @param weights OpenAI-named weights, adopted (not copied): training updates these arrays */
    public ClipModelTrainable(StateDict weights, ClipConfig config) {
        this.config = config;
        // one chunk per call, so a no-grad embedding runs the same batch shapes as the keeping pass GradCache repeats
        this.model = ClipModel.fromStateDict(weights, config).withMaxBatch(Integer.MAX_VALUE);
        for (Tensor t : weights.tensors()) {
            if (!t.isFloat() || t.name().endsWith(".running_mean") || t.name().endsWith(".running_var")) {
                buffers.put(t);
                continue;
            }
            parameters.put(t);
        }
        if (!parameters.has(LOGIT_SCALE)) throw new IllegalArgumentException("weights have no " + LOGIT_SCALE);
        Tensor scale = parameters.get(LOGIT_SCALE);
        logitScaleGradient = Tensor.of(LOGIT_SCALE, scale.shape().clone(), new float[scale.data().length]);
    }

    /** Whether the gradient arrays exist yet (tests: a device-resident trainer never needs them). */
    boolean gradientsAllocated() { return gradients != null; }

    /** Allocates every gradient array (zero), in parameter order, the first time one is needed. */
    private void ensureGradients() {
        if (gradients != null) return;
        Gradients g = new Gradients();
        StateDict sd = new StateDict();
        for (Tensor t : parameters.tensors()) {
            float[] buffer = g.buffer(t.name(), t.shape());   // allocated zero, in parameter order
            // logit_scale's stays the tensor allocated at construction (the loss adds into it; the backward never does)
            sd.put(t.name().equals(LOGIT_SCALE) ? logitScaleGradient : Tensor.of(t.name(), t.shape(), buffer));
        }
        grads = g;
        gradients = sd;
    }

    public ClipConfig config() { return config; }

    /** The inference model over the same (live) weights. Its {@code logitScale()} is the value at construction. */
    public ClipModel model() { return model; }

    /**
     * BatchNorm mode of training passes (ResNet towers): train mode, as PyTorch's {@code model.train()}, unless
     * switched off here. Either way {@link #model()} itself stays in eval mode for evaluation.
     */
    public void setBatchNormTraining(boolean on) { trainBatchNorm = on; }

    @Override
    public float[][] embedImages(float[] pixels, int n, boolean keepActivations) {
        // A GradCache embedding pass (not keeping) normalises with the same batch statistics as the keeping pass
        // over the same chunk, so the cached embeddings equal the recomputed ones; only the keeping pass updates
        // the running statistics, so each chunk counts once.
        model.setBatchNormTraining(trainBatchNorm);
        try {
            if (!keepActivations) return model.encodeImages(pixels, n);
            imagePass = null;   // drop the previous activations before allocating new ones
            imagePass = model.trainingForwardImages(pixels, n);
            return rows(imagePass.imageFeatures(), n);
        } finally {
            model.setBatchNormTraining(false);
        }
    }

    @Override
    public float[][] embedTexts(int[][] tokens, boolean keepActivations) {
        if (!keepActivations) return model.encodeTexts(tokens, null, true);
        textPass = null;
        textPass = model.trainingForwardTexts(tokens);
        return rows(textPass.textFeatures(), tokens.length);
    }

    @Override
    public void backwardImages(float[][] dEmbeddings) {
        if (imagePass == null) throw new IllegalStateException("backwardImages without a keeping embedImages call");
        ClipBackward.Pass p = imagePass;
        imagePass = null;
        ensureGradients();
        ClipBackward.backward(p, flat(dEmbeddings, p.images()), null, grads);
        checkNoStrayGradients();
    }

    @Override
    public void backwardTexts(float[][] dEmbeddings) {
        if (textPass == null) throw new IllegalStateException("backwardTexts without a keeping embedTexts call");
        ClipBackward.Pass p = textPass;
        textPass = null;
        ensureGradients();
        ClipBackward.backward(p, null, flat(dEmbeddings, p.texts()), grads);
        checkNoStrayGradients();
    }

    /** A gradient the backward created beyond the parameters would be silently lost by the optimizer. */
    private void checkNoStrayGradients() {
        if (grads.names().size() != parameters.size()) {
            for (String n : grads.names()) {
                if (!parameters.has(n)) throw new IllegalStateException("backward produced a gradient for '" + n + "', which is not a trained parameter");
            }
        }
    }

    @Override public StateDict parameters() { return parameters; }

    @Override
    public StateDict gradients() {
        ensureGradients();
        return gradients;
    }

    @Override public Tensor logitScaleGradient() { return logitScaleGradient; }

    @Override
    public void zeroGrad() {
        if (gradients == null) Arrays.fill(logitScaleGradient.data(), 0f); // the others are not allocated yet: zero
        else for (Tensor g : gradients.tensors()) Arrays.fill(g.data(), 0f);
    }

    @Override public int imageResolution() { return config.imageResolution(); }

    @Override public int contextLength() { return config.contextLength(); }

    @Override public StateDict buffers() { return buffers; }

    private float[][] rows(float[] flat, int n) { return rows(flat, n, config.embedDim()); }

    /** Rows of d values out of a flat [n, d] array (a tower's embeddings). */
    static float[][] rows(float[] flat, int n, int d) {
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }

    private float[] flat(float[][] rows, int n) { return flat(rows, n, config.embedDim()); }

    /** n embedding gradients of d values each as one flat array, checking their count and lengths. */
    static float[] flat(float[][] rows, int n, int d) {
        if (rows == null || rows.length != n) {
            throw new IllegalArgumentException("expected " + n + " embedding gradients, got " + (rows == null ? "null" : rows.length));
        }
        float[] out = new float[n * d];
        for (int i = 0; i < n; i++) {
            if (rows[i].length != d) throw new IllegalArgumentException("embedding gradient " + i + " has " + rows[i].length + " values, expected " + d);
            System.arraycopy(rows[i], 0, out, i * d, d);
        }
        return out;
    }
}
