package io.flinkclip.training;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.GradClip;
import io.flinkclip.training.optim.WeightDecayRule;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;

/**
 * One optimisation step of CLIP, framework-free: GradCache loss and gradients → global-norm clipping → cosine lr →
 * AdamW → logit_scale clamp. Owns the model and optimizer; its whole state (parameters, buffers, Adam moments, step)
 * round-trips through {@link #snapshot()} / {@link #restore(byte[])} bit-exactly. When the model keeps its optimiser on
 * its device ({@link TrainableClip#residentOptimizer()}), clipping and AdamW run there and the snapshot brings
 * parameters and moments to the host; a restore sends them back.
 */
public final class ClipTrainer {
    static final String MODEL = "model.", BUFFER = "buffer.";

    /** @param maxGradNorm global-norm clip threshold; ≤ 0 disables clipping */
    public record Options(int chunkSize, double maxGradNorm, CosineSchedule schedule, AdamW.Hyper hyper,
                          WeightDecayRule decayRule) implements Serializable {
        public Options {
            if (chunkSize < 1) throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
        }
    }

    /** What one step did. {@code step} counts completed steps (1 after the first). */
    public record StepStats(long step, double loss, double lr, float logitScale, double gradNorm) implements Serializable {}

    private final TrainableClip model;
    private final Options options;
    private final AdamW optimizer;

    public ClipTrainer(TrainableClip model, Options options) {
        this.model = model;
        this.options = options;
        this.optimizer = new AdamW(options.hyper(), options.decayRule());
    }

    public TrainableClip model() { return model; }

    public long step() { return optimizer.stepCount(); }

    public StepStats train(float[] pixels, int[][] tokens) {
        long s = optimizer.stepCount();
        GradCache.Result r = GradCache.lossAndGradients(model, pixels, tokens, options.chunkSize());
        if (!Double.isFinite(r.loss())) throw new IllegalStateException("loss is " + r.loss() + " at step " + (s + 1));
        double lr = options.schedule().lr(s);
        ResidentOptimizer resident = model.residentOptimizer();
        double norm = resident == null ? hostStep(lr) : residentStep(resident, lr, s);
        GradClip.clampLogitScale(model.logitScale());
        if (resident == null) model.parametersChanged(); // a resident optimiser updated its device's copy in place
        return new StepStats(optimizer.stepCount(), r.loss(), lr, model.logitScale().scalar(), norm);
    }

    /** Clipping and AdamW on the model's host arrays; returns the gradient norm before clipping. */
    private double hostStep(double lr) {
        StateDict grads = model.gradients();
        double norm = options.maxGradNorm() > 0 ? GradClip.clipGlobalNorm(grads, options.maxGradNorm()) : GradClip.globalNorm(grads);
        optimizer.step(model.parameters(), grads, lr);
        return norm;
    }

    /**
     * The same step where the tower gradients are (the device): their sum of squares comes up, the clipping factor goes
     * down with the update; logit_scale's gradient and update stay here. A non-finite gradient refuses the step before
     * anything changes, naming the parameter.
     */
    private double residentStep(ResidentOptimizer resident, double lr, long s) {
        Tensor scale = model.logitScale(), scaleGrad = model.logitScaleGradient();
        float g = scaleGrad.data()[0];
        double norm = Math.sqrt(resident.gradientSumOfSquares() + (double) g * g);
        if (!Double.isFinite(norm)) {
            String where = Float.isFinite(g) ? resident.firstNonFiniteGradient() : TrainableClip.LOGIT_SCALE;
            throw new IllegalStateException("non-finite gradient in " + where + " at step " + (s + 1) + " (global norm " + norm + "); parameters unchanged");
        }
        float coef = options.maxGradNorm() > 0 ? GradClip.clipCoefficient(norm, options.maxGradNorm()) : 1f;
        if (coef < 1) scaleGrad.data()[0] = g * coef;
        StateDict hostParams = new StateDict(), hostGrads = new StateDict();
        hostParams.put(scale);
        hostGrads.put(scaleGrad);
        optimizer.stepResident(resident, coef, hostParams, hostGrads, lr);
        return norm;
    }

    /** Parameters and buffers under their own names (what a model file holds). */
    public StateDict modelState() {
        StateDict sd = new StateDict();
        for (Tensor t : model.parameters().tensors()) sd.put(t);
        for (Tensor t : model.buffers().tensors()) sd.put(t);
        sd.metadata().put("flinkclip.step", Long.toString(step()));
        return sd;
    }

    /** The AdamW state ({@code adam.step}, {@code adam.m.*}, {@code adam.v.*}); live moment arrays, read before the next step. */
    public StateDict optimizerState() {
        pullResidentMoments();
        return optimizer.state(model.parameters());
    }

    /** A resident optimiser's moments to the host arrays (its parameters come down when {@code model.parameters()} is read). */
    private void pullResidentMoments() {
        ResidentOptimizer resident = model.residentOptimizer();
        if (resident != null) optimizer.pullResident(resident);
    }

    /** Everything needed to continue bit-identically, as one safetensors blob (small models; see {@link #writeSnapshot}). */
    public byte[] snapshot() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeSnapshot(out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise trainer state", e);
        }
        return out.toByteArray();
    }

    /**
     * Streams the snapshot (safetensors: {@code model.*}, {@code buffer.*}, {@code adam.*}) tensor by tensor, so
     * models whose state exceeds a Java array (2 GiB) can be checkpointed. Does not close {@code out}.
     */
    public void writeSnapshot(OutputStream out) throws IOException {
        SafeTensors.write(out, snapshotDict());
        optimizer.releaseResidentCopies(); // a resident optimiser's moments: the host needs them only while writing
    }

    /** The exact byte length {@link #writeSnapshot} will produce (a counting pass; nothing is kept). */
    public long snapshotSize() throws IOException {
        long[] n = {0};
        SafeTensors.write(new OutputStream() {
            @Override public void write(int b) { n[0]++; }
            @Override public void write(byte[] b, int off, int len) { n[0] += len; }
        }, snapshotDict());
        return n[0];
    }

    private StateDict snapshotDict() {
        pullResidentMoments();
        StateDict sd = new StateDict();
        for (Tensor t : model.parameters().tensors()) sd.put(rename(t, MODEL + t.name()));
        for (Tensor t : model.buffers().tensors()) sd.put(rename(t, BUFFER + t.name()));
        for (Tensor t : optimizer.state(model.parameters()).tensors()) sd.put(t);
        return sd;
    }

    /** Overwrites the live model tensors and the optimizer with a {@link #snapshot()}. */
    public void restore(byte[] blob) {
        restore(SafeTensors.read(blob, "trainer snapshot"));
    }

    /** Restores from a parsed snapshot (e.g. one read off-heap with {@code SafeTensors.read(MemorySegment, …)}). */
    public void restore(StateDict sd) {
        copyInto(sd, MODEL, model.parameters());
        copyInto(sd, BUFFER, model.buffers());
        optimizer.load(sd, model.parameters());
        model.parametersChanged();
        ResidentOptimizer resident = model.residentOptimizer();
        if (resident != null) {
            optimizer.pushResident(resident);
            optimizer.releaseResidentCopies();
        }
    }

    private static void copyInto(StateDict sd, String prefix, StateDict live) {
        for (Tensor t : live.tensors()) {
            Tensor s = sd.get(prefix + t.name());
            if (!Arrays.equals(s.shape(), t.shape())) {
                throw new ClipFormatException("snapshot tensor " + s.name() + " has shape " + Arrays.toString(s.shape())
                        + ", model expects " + Arrays.toString(t.shape()));
            }
            if (t.data() != null) System.arraycopy(s.data(), 0, t.data(), 0, t.data().length);
            else System.arraycopy(s.longs(), 0, t.longs(), 0, t.longs().length);
        }
    }

    private static Tensor rename(Tensor t, String name) {
        return new Tensor(name, t.data() != null ? io.flinkclip.io.DType.F32 : t.storedAs(), t.shape(), t.data(), t.longs());
    }
}
