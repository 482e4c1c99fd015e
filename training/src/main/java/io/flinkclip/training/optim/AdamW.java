package io.flinkclip.training.optim;

import io.flinkclip.io.DType;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.OptimizerKernels;
import io.flinkclip.training.ResidentOptimizer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, the update of PyTorch's {@code torch.optim.AdamW} (single-tensor path, float32):
 * p ← p·(1 − lr·wd); m ← m + (g − m)(1 − β₁); v ← β₂v + (1 − β₂)g²; p ← p − (lr/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε).
 * Parameters without decay are chosen by a {@link WeightDecayRule}. Moments are created lazily (zero) per parameter.
 */
public final class AdamW {
    public static final String STEP = "adam.step", M = "adam.m.", V = "adam.v.";

    /** open_clip's defaults for ViT CLIP are β₁ 0.9, β₂ 0.98, ε 1e-6, weight decay 0.2. */
    public record Hyper(double beta1, double beta2, double eps, double weightDecay) implements java.io.Serializable {
        public static Hyper openClipVit() { return new Hyper(0.9, 0.98, 1e-6, 0.2); }

        public Hyper {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("betas must be in [0, 1): " + beta1 + ", " + beta2);
            if (!(eps > 0) || !(weightDecay >= 0)) throw new IllegalArgumentException("need eps > 0 and weight decay ≥ 0: " + eps + ", " + weightDecay);
        }
    }

    private final Hyper hyper;
    private final WeightDecayRule decayRule;
    private final Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private long step;
    /** A resident optimiser's steps changed the moments on its device since they were last copied here. */
    private boolean residentMomentsNewer;
    /** Parameters whose moments a resident optimiser holds (those its pull or push went through). */
    private final java.util.Set<String> residentNames = new java.util.HashSet<>();

    public AdamW(Hyper hyper, WeightDecayRule decayRule) {
        this.hyper = hyper;
        this.decayRule = decayRule;
    }

    public long stepCount() { return step; }

    /** One update of every parameter that has a gradient of the same name; lr is this step's learning rate. */
    public void step(StateDict params, StateDict grads, double lr) {
        validate(params, grads);
        step++;
        updateHost(params, grads, lr);
    }

    /**
     * One step of a model whose tower parameters, gradients and moments live on its device ({@link ResidentOptimizer}):
     * the device updates those with gradients scaled by {@code gradScale} (the caller's clipping, already applied to
     * {@code hostGrads}); the host-side parameters in {@code hostParams} (logit_scale) are updated here as in {@link #step}.
     * The device's moments are newer than this object's from now until {@link #pullResident}.
     */
    public void stepResident(ResidentOptimizer device, float gradScale, StateDict hostParams, StateDict hostGrads, double lr) {
        validate(hostParams, hostGrads);
        step++;
        residentMomentsNewer = true;
        device.adamW(gradScale, (float) hyper.beta1, (float) hyper.beta2, bc2Sqrt(), stepSize(lr), (float) hyper.eps, (name, shape) -> decay(name, shape, lr));
        updateHost(hostParams, hostGrads, lr);
    }

    /** Copies a resident optimiser's moments into this object's arrays when its steps made them newer (before {@link #state}). */
    public void pullResident(ResidentOptimizer device) {
        if (!residentMomentsNewer) return;
        device.momentsToHost((name, shape) -> {
            residentNames.add(name);
            return m.computeIfAbsent(name, k -> new float[numel(shape)]);
        }, (name, shape) -> v.computeIfAbsent(name, k -> new float[numel(shape)]));
        residentMomentsNewer = false;
    }

    /** Gives a resident optimiser this object's moments (after {@link #load}); parameters without moments start from zero. */
    public void pushResident(ResidentOptimizer device) {
        device.momentsToDevice((name, shape) -> {
            residentNames.add(name);
            return m.get(name);
        }, (name, shape) -> v.get(name));
        residentMomentsNewer = false;
    }

    /**
     * Drops this object's copies of the moments a resident optimiser holds (once a snapshot was written from them, or
     * they were pushed): the device keeps the truth and the host two parameter-sized arrays per parameter less; the next
     * {@link #state} needs a {@link #pullResident} first.
     */
    public void releaseResidentCopies() {
        if (residentNames.isEmpty()) return;
        for (String name : residentNames) {
            m.remove(name);
            v.remove(name);
        }
        residentNames.clear();
        residentMomentsNewer = true;
    }

    /** Validates everything first so a bad gradient never leaves the parameters half-updated. */
    private void validate(StateDict params, StateDict grads) {
        for (Tensor p : params.tensors()) {
            if (!grads.has(p.name())) continue;
            Tensor gt = grads.get(p.name());
            if (!Arrays.equals(gt.shape(), p.shape())) {
                throw new IllegalArgumentException("gradient of " + p.name() + " has shape " + Arrays.toString(gt.shape())
                        + ", parameter " + Arrays.toString(p.shape()));
            }
            int bad = OptimizerKernels.firstNonFinite(gt.data());
            if (bad >= 0) throw new IllegalStateException("non-finite gradient in " + p.name() + "[" + bad + "] at step " + (step + 1));
        }
    }

    /** The update of step {@link #step} (already counted) on host arrays. */
    private void updateHost(StateDict params, StateDict grads, double lr) {
        float b1 = (float) hyper.beta1, b2 = (float) hyper.beta2, bc2Sqrt = bc2Sqrt(), stepSize = stepSize(lr), eps = (float) hyper.eps;
        for (Tensor p : params.tensors()) {
            if (!grads.has(p.name())) continue;
            float[] w = p.data(), g = grads.get(p.name()).data();
            float[] mm = m.computeIfAbsent(p.name(), k -> new float[w.length]);
            float[] vv = v.computeIfAbsent(p.name(), k -> new float[w.length]);
            OptimizerKernels.adamW(w, g, mm, vv, decay(p.name(), p.shape(), lr), b1, b2, bc2Sqrt, stepSize, eps);
        }
    }

    /** √(1 − β₂ᵗ) of the current step, computed in double: the host and a resident device use the same value. */
    private float bc2Sqrt() { return (float) Math.sqrt(1 - Math.pow(hyper.beta2, step)); }

    /** lr/(1 − β₁ᵗ) of the current step, computed in double. */
    private float stepSize(double lr) { return (float) (lr / (1 - Math.pow(hyper.beta1, step))); }

    /** The decoupled weight-decay factor of one parameter at learning rate lr: 1 − lr·wd, or 1 where the rule exempts it. */
    private float decay(String name, int[] shape, double lr) {
        return decayRule.decays(name, shape) ? (float) (1 - lr * hyper.weightDecay) : 1f;
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /**
     * Optimizer state as tensors {@code adam.m.<param>}, {@code adam.v.<param>} and {@code adam.step} (I64 scalar).
     * The moment tensors are live views (no copy, the state can be as large as the model twice): serialise them
     * before the next {@link #step}.
     */
    public StateDict state(StateDict params) {
        if (residentMomentsNewer) throw new IllegalStateException("the moments are on the device: pullResident before reading the optimizer state");
        StateDict sd = new StateDict();
        sd.put(new Tensor(STEP, DType.I64, new int[0], null, new long[]{step}));
        for (Tensor p : params.tensors()) {
            float[] mm = m.get(p.name());
            if (mm == null) continue;
            sd.put(Tensor.of(M + p.name(), p.shape().clone(), mm));
            sd.put(Tensor.of(V + p.name(), p.shape().clone(), v.get(p.name())));
        }
        return sd;
    }

    /** Restores {@link #state}; every moment must match its parameter's shape. */
    public void load(StateDict state, StateDict params) {
        if (!state.has(STEP)) throw new IllegalArgumentException("optimizer state lacks " + STEP);
        Tensor st = state.get(STEP);
        long s = st.longs() != null ? st.longs()[0] : (long) st.scalar();
        m.clear();
        v.clear();
        residentMomentsNewer = false; // these are the truth now; pushResident gives them to a device
        for (Tensor p : params.tensors()) {
            if (!state.has(M + p.name())) continue;
            m.put(p.name(), state.floats(M + p.name(), p.shape()).clone());
            v.put(p.name(), state.floats(V + p.name(), p.shape()).clone());
        }
        step = s;
    }
}
