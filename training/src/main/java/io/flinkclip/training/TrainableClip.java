package io.flinkclip.training;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

/**
 * The seam between training and a CLIP implementation: two towers that can embed with or without keeping the
 * activations their backward needs, and backprop embedding gradients into live parameter gradients.
 *
 * <p>Contract (what {@link GradCache} and the trainer rely on):
 * <ul>
 * <li>{@link #parameters()} and {@link #gradients()} return the <b>live</b> tensors: writing a parameter's
 * {@code data()} changes the model, and backward passes add into the gradient arrays. Both have the same names
 * (OpenAI key names, including {@value #LOGIT_SCALE} as a 0-dim tensor) and shapes, in the same order. A model
 * with a {@link #residentOptimizer()} keeps the truth on its device and refreshes these host tensors when they are
 * read; a writer calls {@link #parametersChanged()} afterwards, as with any model that computes on a copy.</li>
 * <li>{@code embedImages/embedTexts} return <b>unnormalised</b> embeddings [n][embedDim] and must be
 * deterministic: the same inputs and parameters give bit-identical outputs (GradCache re-runs them).</li>
 * <li>With {@code keepActivations = true} the call saves what the matching {@code backward*} needs, replacing
 * any earlier saved activations of that tower; {@code backward*} consumes (and may free) them and
 * <b>accumulates</b> into {@link #gradients()}. The model never touches the logit_scale gradient: the loss
 * owns it.</li>
 * <li>Train-mode side effects (e.g. BatchNorm running statistics, exposed through {@link #buffers()}) should
 * happen only when {@code keepActivations} is true, so GradCache's extra no-grad pass does not apply them
 * twice. Implementations that want eval-mode BatchNorm (as the reference gradients) simply have none.</li>
 * </ul>
 */
public interface TrainableClip {
    String LOGIT_SCALE = "logit_scale";

    /** @param pixels n images NCHW at {@link #imageResolution()}, already normalised */
    float[][] embedImages(float[] pixels, int n, boolean keepActivations);

    /** @param tokens one row per text (SOT … EOT, zero padded to {@link #contextLength()}) */
    float[][] embedTexts(int[][] tokens, boolean keepActivations);

    /** Backprop d loss / d image embedding [n][embedDim] for the n images of the last keeping embedImages call. */
    void backwardImages(float[][] dEmbeddings);

    void backwardTexts(float[][] dEmbeddings);

    StateDict parameters();

    StateDict gradients();

    void zeroGrad();

    int imageResolution();

    int contextLength();

    /**
     * Called after {@link #parameters()} were written (an optimiser step, a restore): a model that computes on a copy
     * of them (a GPU) refreshes it here. The arrays themselves stay the truth.
     */
    default void parametersChanged() {}

    /** Non-trained state that training changes and a checkpoint must keep (BatchNorm running stats); live tensors. */
    default StateDict buffers() { return new StateDict(); }

    /** The live 0-dim {@value #LOGIT_SCALE} parameter: the loss reads and the trainer updates it without the others. */
    default Tensor logitScale() { return parameters().get(LOGIT_SCALE); }

    /** The live gradient of {@link #logitScale()} (the loss adds into it). */
    default Tensor logitScaleGradient() { return gradients().get(LOGIT_SCALE); }

    /**
     * The device-resident optimiser when this model keeps gradients, parameters and moments on its device between steps
     * ({@link ClipTrainer} then updates them there); null (the default) when the trainer's AdamW runs on
     * {@link #parameters()} and {@link #gradients()}.
     */
    default ResidentOptimizer residentOptimizer() { return null; }
}
