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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * CLIP's contrastive training step (forward keeping activations, loss, backward) on a {@link Device} for the ViT
 * and text towers: the same results as {@link ClipModel#contrastiveGradients} with OpenAI's parameter names.
 * Activations and backward scratch are planned regions of one reused arena; parameter gradients are regions of
 * one gradient buffer, downloaded once per step. The only host round trip inside a step is at the loss: the
 * [n, embedDim] features come down, the double-precision {@link ContrastiveLoss} runs on the host, and their
 * gradients go back up. {@link #backward} takes feature gradients from a custom loss instead.
 * {@link #trainStep} adds AdamW on the device, so a whole step moves only features and their gradients; then the
 * device holds the newest parameters ({@link #copyParametersTo} brings them back). A host trainer can keep its optimiser
 * here too: {@link #backwardKeptAccumulate} adds each pass's gradients on the device, {@link #gradientSumOfSquares} feeds
 * its clipping and {@link #applyAdamW} its update; parameters and moments come down only when it asks. One instance
 * serves one of these ways of training: each zeroes the gradient buffer on its own schedule.
 * The modified ResNet has no device backward (use the CPU model for it).
 */
public final class DeviceClipTraining implements AutoCloseable {
    private static final Set<String> NOT_PARAMETERS = Set.of("logit_scale", "input_resolution", "context_length", "vocab_size");
    private final Device device;
    private final ClipConfig config;
    private float logitScale;
    private final DeviceWeights weights;
    private final DeviceVisionTransformer vision;
    private final DeviceTextTransformer text;
    private final DeviceGradients grads;
    /** backwardKeptInto's download buffer: the largest gradient region, allocated on first use. */
    private float[] hostScratch;
    private final DeviceArena arena;
    /** Text-only passes run here, so a host trainer can keep both towers' activations at once (GradCache's single pass). */
    private final DeviceArena textArena;
    private final DeviceTokens tokenBuffers;
    private boolean closed;
    /** AdamW moments in the gradient buffer's layout, allocated by the first {@link #trainStep}; logit_scale's on the host. */
    private DeviceBuffer adamM, adamV;
    private float logitScaleM, logitScaleV;
    private int adamStep;
    /** Passes of {@link #forwardKeep} whose image or text activations are still on the device, until overwritten. */
    private Pass keptImages, keptTexts;

    /** AdamW's hyper-parameters for {@link #trainStep} (open_clip's ViT defaults: 0.9, 0.98, 1e-6, 0.2). */
    public record AdamW(float beta1, float beta2, float eps, float weightDecay) {
        public AdamW {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("AdamW needs 0 ≤ β < 1, ε > 0, weight decay ≥ 0: " + beta1 + ", " + beta2 + ", " + eps + ", " + weightDecay);
            }
        }
    }

    private DeviceClipTraining(Device device, ClipConfig config, float logitScale, StateDict sd) {
        this.device = device;
        this.config = config;
        this.logitScale = logitScale;
        weights = new DeviceWeights(device, sd);
        arena = new DeviceArena(device);
        textArena = new DeviceArena(device);
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
        g.add("logit_scale", new int[0], new float[] {(float) loss[0].dLogitScale()});
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

    /**
     * One whole training step on the device: forward, the contrastive loss (on the host, from the features), backward and
     * an AdamW update of every parameter at learning rate {@code lr}, with weight decay where {@code decays} says so (see
     * open_clip's rule: none for gains, biases and other 1-D parameters). Parameters, gradients and moments stay on the
     * device; logit_scale (a host scalar) gets the same update on the host. Returns the loss; a non-finite loss throws
     * before anything is updated.
     */
    public synchronized double trainStep(float[] pixels, int n, int[][] tokens, float lr, AdamW hp, BiPredicate<String, int[]> decays) {
        if (n < 1 || tokens == null || tokens.length != n) {
            throw new IllegalArgumentException("a training step pairs n ≥ 1 images with n texts, got " + n + " and " + (tokens == null ? "no" : tokens.length));
        }
        if (!(lr >= 0) || hp == null || decays == null) throw new IllegalArgumentException("need lr ≥ 0, AdamW settings and a decay rule");
        ContrastiveLoss.Result[] loss = new ContrastiveLoss.Result[1];
        run(pixels, n, tokens, (img, txt) -> {
            loss[0] = ContrastiveLoss.compute(img, txt, n, config.embedDim(), logitScale);
            if (!Double.isFinite(loss[0].loss())) throw new IllegalStateException("non-finite loss " + loss[0].loss() + " at step " + (adamStep + 1));
            return new float[][] {loss[0].dImage(), loss[0].dText()};
        }, null);
        adamStep++;
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(hp.beta2(), adamStep)), stepSize = (float) (lr / (1 - Math.pow(hp.beta1(), adamStep)));
        updateParameters(1f, hp.beta1(), hp.beta2(), bc2Sqrt, stepSize, hp.eps(),
                (name, shape) -> decays.test(name, shape) ? (float) (1 - (double) lr * hp.weightDecay()) : 1f);
        float g = (float) loss[0].dLogitScale(), bc1 = (float) (1 - Math.pow(hp.beta1(), adamStep)), bc2 = (float) (1 - Math.pow(hp.beta2(), adamStep));
        logitScaleM = hp.beta1() * logitScaleM + (1 - hp.beta1()) * g;
        logitScaleV = hp.beta2() * logitScaleV + (1 - hp.beta2()) * g * g;
        float wd = decays.test("logit_scale", new int[0]) ? hp.weightDecay() : 0f;
        logitScale = logitScale * (1 - lr * wd) - lr * (logitScaleM / bc1) / ((float) Math.sqrt(logitScaleV / bc2) + hp.eps());
        return loss[0].loss();
    }

    /**
     * Forward only (the training forward, nothing kept for later): unnormalised features [n, embedDim] of the images
     * and [rows, embedDim] of the token rows, either tower may be empty. For a host-side trainer's no-grad passes.
     */
    public synchronized float[][] embed(float[] pixels, int n, int[][] tokens) {
        float[][] out = new float[2][];
        run(pixels, n, tokens == null ? new int[0][] : tokens, (img, txt) -> {
            out[0] = img;
            out[1] = txt;
            return new float[][] {null, null}; // no backward
        }, null);
        return out;
    }

    /**
     * Copies the current values of {@code sd}'s same-named tensors into the device's parameters (and logit_scale): how
     * a host-side optimiser's step reaches the device.
     */
    public synchronized void uploadParameters(StateDict sd) {
        keptImages = null; // activations of the old parameters
        keptTexts = null;
        checkOpen();
        grads.shapes().forEach((name, shape) -> {
            Tensor t = sd.get(name);
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException(name + " has shape " + Arrays.toString(t.shape()) + ", the model " + Arrays.toString(shape));
            }
            device.write(weights.get(name), 0, t.data(), 0, t.data().length);
        });
        if (sd.has("logit_scale")) logitScale = sd.get("logit_scale").data()[0];
    }

    /** Each parameter's decoupled weight-decay factor for one AdamW update: 1 − lr·wd, or 1 where it does not decay. */
    public interface DecayFactor { float of(String name, int[] shape); }

    /** AdamW on every tower parameter from the gradient buffer (see {@link Device#adamw}); moments are created zero on first use. */
    private void updateParameters(float gradScale, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps, DecayFactor decay) {
        ensureMoments();
        keptImages = null; // activations of the old parameters
        keptTexts = null;
        grads.shapes().forEach((name, shape) -> device.adamw(grads.numel(name), weights.get(name), 0, grads.buffer(), adamM, adamV, grads.offset(name),
                gradScale, decay.of(name, shape), beta1, beta2, bc2Sqrt, stepSize, eps));
    }

    private void ensureMoments() {
        if (adamM != null) return;
        adamM = device.allocate(grads.size());
        adamV = device.allocate(grads.size());
    }

    // A host trainer's optimiser on the device: gradients add up here across GradCache's passes, the trainer asks for
    // their norm, AdamW updates the parameters in place, and parameters and moments come down only when it reads them.

    /** Zeroes the gradients that {@link #backwardKeptAccumulate} adds into: the start of a step. */
    public synchronized void zeroGradients() {
        checkOpen();
        grads.zero();
    }

    /**
     * As {@link #backwardKept}, but the gradients stay on the device and add up (+=) across calls until
     * {@link #zeroGradients}: no download. For a host trainer whose optimiser runs here ({@link #applyAdamW}).
     */
    public synchronized void backwardKeptAccumulate(float[] dImage, float[] dText) {
        Pass[] kept = takeKept(dImage, dText);
        Pass pi = kept[0], pt = kept[1];
        if (pi != null && pi == pt) {
            backwardTowers(pi, dImage, dText);
        } else {
            if (pi != null) backwardTowers(pi, dImage, null);
            if (pt != null) backwardTowers(pt, null, dText);
        }
    }

    /** Σ g² over every accumulated parameter gradient (logit_scale's is the host's); non-finite when any gradient is. */
    public synchronized double gradientSumOfSquares() {
        checkOpen();
        return device.sumOfSquares(Math.toIntExact(grads.size()), grads.buffer(), 0);
    }

    /** The first parameter (region order) whose accumulated gradient holds a NaN or ±∞, or null: names a failed step's cause. */
    public synchronized String firstNonFiniteGradient() {
        checkOpen();
        for (String name : grads.shapes().keySet()) {
            if (!Double.isFinite(device.sumOfSquares(grads.numel(name), grads.buffer(), grads.offset(name)))) return name;
        }
        return null;
    }

    /**
     * One AdamW update of every tower parameter from the accumulated gradients scaled by {@code gradScale} (global-norm
     * clipping), with the step's scalars computed by the caller (see {@link Device#adamw}) and {@code decay} per parameter.
     * The moments live on the device, zero before the first update ({@link #uploadMoments} sets them). Kept activations
     * are discarded: they belong to the old parameters.
     */
    public synchronized void applyAdamW(float gradScale, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps, DecayFactor decay) {
        checkOpen();
        updateParameters(gradScale, beta1, beta2, bc2Sqrt, stepSize, eps, decay);
    }

    /** Host arrays for one parameter's state, by name and shape (created or looked up by the caller). */
    public interface HostArrays { float[] of(String name, int[] shape); }

    /** Downloads the AdamW moments into the arrays {@code m} and {@code v} give (zero when no update ran yet). */
    public synchronized void downloadMoments(HostArrays m, HostArrays v) {
        checkOpen();
        grads.shapes().forEach((name, shape) -> {
            float[] mm = sized(m.of(name, shape), name), vv = sized(v.of(name, shape), name);
            if (adamM == null) {
                Arrays.fill(mm, 0f);
                Arrays.fill(vv, 0f);
            } else {
                device.download(adamM, grads.offset(name), mm, 0, mm.length);
                device.download(adamV, grads.offset(name), vv, 0, vv.length);
            }
        });
    }

    /** Uploads AdamW moments (a restore); a parameter whose arrays are null starts from zero moments. */
    public synchronized void uploadMoments(HostArrays m, HostArrays v) {
        checkOpen();
        ensureMoments();
        grads.shapes().forEach((name, shape) -> {
            float[] mm = m.of(name, shape), vv = v.of(name, shape);
            int off = grads.offset(name), n = grads.numel(name);
            if (mm == null || vv == null) {
                device.fill(n, 0f, adamM, off);
                device.fill(n, 0f, adamV, off);
            } else {
                device.write(adamM, off, sized(mm, name), 0, n);
                device.write(adamV, off, sized(vv, name), 0, n);
            }
        });
    }

    /** Downloads the accumulated gradients into the same-named tensors of {@code sd} (overwriting them; not logit_scale). */
    public synchronized void copyGradientsTo(StateDict sd) {
        checkOpen();
        for (String name : grads.shapes().keySet()) {
            float[] dst = sized(sd.get(name).data(), name);
            device.download(grads.buffer(), grads.offset(name), dst, 0, dst.length);
        }
    }

    /** Downloads the device's tower parameters into the same-named tensors of {@code sd}; logit_scale is left alone. */
    public synchronized void copyTowerParametersTo(StateDict sd) {
        checkOpen();
        for (String name : grads.shapes().keySet()) {
            float[] dst = sized(sd.get(name).data(), name);
            device.download(weights.get(name), 0, dst, 0, dst.length);
        }
    }

    /** {@code a}, checked to hold exactly parameter {@code name}'s elements. */
    private float[] sized(float[] a, String name) {
        if (a == null || a.length != grads.numel(name)) {
            throw new IllegalArgumentException(name + " needs " + grads.numel(name) + " values, got " + (a == null ? "none" : a.length));
        }
        return a;
    }

    /** AdamW steps taken by {@link #trainStep}. */
    public synchronized int steps() { return adamStep; }

    /** The current logit_scale (the log of the temperature), changed by {@link #trainStep}. */
    public synchronized float logitScale() { return logitScale; }

    /** Downloads the device's current parameters into the same-named tensors of {@code sd} (and logit_scale). */
    public synchronized void copyParametersTo(StateDict sd) {
        copyTowerParametersTo(sd);
        if (sd.has("logit_scale")) sd.get("logit_scale").data()[0] = logitScale;
    }

    /** Maps the forward's features (image, text) to their loss gradients (image, text). */
    private interface FeatureLoss { float[][] gradients(float[] imageFeatures, float[] textFeatures); }

    /** A training forward whose activations are in the arena: valid until the next call of this object. */
    private record Pass(int n, int m, Inputs.TokenBatch batch, DeviceVisionTransformer.TrainPlan vp, DeviceTextTransformer.TrainPlan tp,
                        DeviceArena owner, DeviceBuffer arena, float[] img, float[] txt) {}

    private void run(float[] pixels, int n, int[][] tokens, FeatureLoss loss, Gradients g) {
        Pass p = forward(pixels, n, tokens);
        float[][] d = loss.gradients(p.img(), p.txt());
        backward(p, d[0], d[1], g);
    }

    private Pass forward(float[] pixels, int n, int[][] tokens) {
        checkOpen();
        if (n < 0) throw new IllegalArgumentException("negative image count " + n);
        Inputs.checkPixelCount(config, pixels == null && n == 0 ? new float[0] : pixels, n); // NaN/Inf: checked on the device below
        Inputs.checkTokens(config, tokens);
        int m = tokens.length, e = config.embedDim();
        if (n == 0 && m == 0) throw new IllegalArgumentException("a training batch needs at least one image or text");
        Inputs.TokenBatch batch = m == 0 ? null : Inputs.TokenBatch.of(tokens, 0, m);

        Layout l = new Layout();
        DeviceVisionTransformer.TrainPlan vp = n == 0 ? null : vision.planTrain(l, n);
        DeviceTextTransformer.TrainPlan tp = m == 0 ? null : text.planTrain(l, m, batch.seq());
        int flagAt = l.take(1);
        DeviceArena owner = n == 0 ? textArena : arena;
        // kept activations die with the arena they live in, and text ones also with the token buffers
        if (keptImages != null && keptImages.owner() == owner) keptImages = null;
        if (keptTexts != null && (keptTexts.owner() == owner || m > 0)) keptTexts = null;
        DeviceBuffer a = owner.ensure(l.size());
        float[] img = new float[n * e], txt = new float[m * e];
        if (n > 0) {
            device.write(a, vp.pixels(), pixels, 0, pixels.length);
            Inputs.flagPixels(device, a, vp.pixels(), pixels.length, flagAt);
            device.download(a, vision.forwardTrain(a, n, vp), img, 0, img.length);
            Inputs.checkFlag(device, a, flagAt, config, pixels, 0);
        }
        if (m > 0) {
            tokenBuffers.upload(batch, m);
            device.download(a, text.forwardTrain(a, m, batch.seq(), tokenBuffers.ids(), tokenBuffers.poolRows(), tp), txt, 0, txt.length);
        }
        return new Pass(n, m, batch, vp, tp, owner, a, img, txt);
    }

    /** Backward of pass p from the feature gradients (a null one skips its tower), then adds into g unless null. */
    private void backward(Pass p, float[] dImage, float[] dText, Gradients g) {
        backwardOnDevice(p, dImage, dText);
        if (g != null) grads.addTo(g); // else the gradients stay on the device for trainStep
    }

    private void backwardOnDevice(Pass p, float[] dImage, float[] dText) {
        grads.zero();
        backwardTowers(p, dImage, dText);
    }

    /** Adds (+=) the pass's gradients into the gradient buffer. */
    private void backwardTowers(Pass p, float[] dImage, float[] dText) {
        int e = config.embedDim();
        if (p.m() > 0 && dText != null) {
            device.write(p.arena(), p.tp().dOut(), dText, 0, p.m() * e);
            text.backward(p.arena(), p.m(), p.batch().seq(), tokenBuffers.ids(), tokenBuffers.poolRows(), p.tp(), grads);
        }
        if (p.n() > 0 && dImage != null) {
            device.write(p.arena(), p.vp().dOut(), dImage, 0, p.n() * e);
            vision.backward(p.arena(), p.n(), p.vp(), grads);
        }
    }

    /**
     * The training forward of {@link #backward}, keeping its activations on the device for one {@link #backwardKept}:
     * unnormalised features {images [n, embedDim], texts [rows, embedDim]}. Text-only passes live in their own arena,
     * so an image-only and a text-only pass can be kept together; a later call that rewrites their arena (or, for
     * texts, the token buffers) or {@link #uploadParameters} discards them. For host trainers that embed, compute the
     * loss, then backpropagate (GradCache) without running the forward again.
     */
    public synchronized float[][] forwardKeep(float[] pixels, int n, int[][] tokens) {
        Pass p = forward(pixels, n, tokens == null ? new int[0][] : tokens);
        if (p.n() > 0) keptImages = p;
        if (p.m() > 0) keptTexts = p;
        return new float[][] {p.img(), p.txt()};
    }

    /**
     * Backward of the towers kept by {@link #forwardKeep} (an image-only and a text-only pass can be kept at once) from
     * feature gradients (null skips a tower), adding (+=) into g; consumes what it uses.
     */
    public synchronized void backwardKept(float[] dImage, float[] dText, Gradients g) {
        if (g == null) throw new IllegalArgumentException("gradients accumulator is required");
        Pass[] kept = takeKept(dImage, dText);
        Pass pi = kept[0], pt = kept[1];
        if (pi != null && pi == pt) {
            backward(pi, dImage, dText, g);
        } else {
            if (pi != null) backward(pi, dImage, null, g);
            if (pt != null) backward(pt, null, dText, g);
        }
    }

    /** The kept image and text passes the feature gradients need (null where a gradient is null), consumed. */
    private Pass[] takeKept(float[] dImage, float[] dText) {
        Pass pi = dImage == null ? null : keptImages, pt = dText == null ? null : keptTexts;
        if ((dImage != null && pi == null) || (dText != null && pt == null)) {
            throw new IllegalStateException("backwardKept needs a forwardKeep of that tower (a later call overwrote or consumed its activations)");
        }
        int e = config.embedDim();
        if ((pi != null && dImage.length != pi.n() * e) || (pt != null && dText.length != pt.m() * e)) {
            throw new IllegalArgumentException("feature gradients must be [" + (pi == null ? 0 : pi.n()) + ", " + e + "] and ["
                    + (pt == null ? 0 : pt.m()) + ", " + e + "]");
        }
        if (pi != null) keptImages = null;
        if (pt != null) keptTexts = null;
        return new Pass[] {pi, pt};
    }

    /**
     * As {@link #backwardKept}, adding each parameter's gradient straight into its host array ({@code into}: parameter name →
     * array of its size; every parameter of a tower that runs must be there). For a host trainer's per-tower backward:
     * only that tower's gradients come down, through one reused buffer, instead of every region into new arrays.
     */
    public synchronized void backwardKeptInto(float[] dImage, float[] dText, Map<String, float[]> into) {
        if (into == null) throw new IllegalArgumentException("host gradient arrays are required");
        Pass[] kept = takeKept(dImage, dText);
        Pass pi = kept[0], pt = kept[1];
        if (hostScratch == null) hostScratch = new float[grads.largestRegion()];
        if (pi != null && pi == pt) {
            backwardOnDevice(pi, dImage, dText);
            grads.addInto(into, name -> true, hostScratch);
            return;
        }
        if (pi != null) {
            backwardOnDevice(pi, dImage, null);
            grads.addInto(into, DeviceClipTraining::isVisual, hostScratch);
        }
        if (pt != null) {
            backwardOnDevice(pt, null, dText);
            grads.addInto(into, name -> !isVisual(name), hostScratch);
        }
    }

    /** The image tower's parameters (OpenAI naming); the rest of the gradient regions are the text tower's. */
    private static boolean isVisual(String name) { return name.startsWith("visual."); }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("DeviceClipTraining on " + device.describe() + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            device.synchronize();
        } finally {
            arena.close();
            textArena.close();
            tokenBuffers.close();
            grads.close();
            if (adamM != null) { adamM.close(); adamV.close(); }
            weights.close();
        }
    }
}
