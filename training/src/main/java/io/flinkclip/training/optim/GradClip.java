package io.flinkclip.training.optim;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.OptimizerKernels;

/** Gradient utilities applied between backward and the optimizer step. */
public final class GradClip {
    public static final float MAX_LOGIT_SCALE = (float) Math.log(100);

    private GradClip() {}

    /** The global L2 norm over all gradients (double accumulation). */
    public static double globalNorm(StateDict grads) {
        double s = 0;
        for (Tensor t : grads.tensors()) s += OptimizerKernels.sumOfSquares(t.data());
        return Math.sqrt(s);
    }

    /**
     * {@code torch.nn.utils.clip_grad_norm_}: if the global norm exceeds maxNorm, scales every gradient by
     * maxNorm/(norm + 1e-6). Returns the norm before clipping.
     */
    public static double clipGlobalNorm(StateDict grads, double maxNorm) {
        double norm = globalNorm(grads);
        if (!Double.isFinite(norm)) throw new IllegalStateException("gradient norm is " + norm);
        float coef = clipCoefficient(norm, maxNorm);
        if (coef < 1) {
            for (Tensor t : grads.tensors()) OptimizerKernels.scale(t.data(), coef);
        }
        return norm;
    }

    /** The factor {@link #clipGlobalNorm} scales every gradient by: maxNorm/(norm + 1e-6) when that is below 1 (and maxNorm &gt; 0), else 1. */
    public static float clipCoefficient(double norm, double maxNorm) {
        double coef = maxNorm / (norm + 1e-6);
        return maxNorm > 0 && coef < 1 ? (float) coef : 1f;
    }

    /** open_clip clamps logit_scale to [0, ln 100] after every optimizer step. */
    public static void clampLogitScale(StateDict params, String name) {
        if (params.has(name)) clampLogitScale(params.get(name));
    }

    /** {@link #clampLogitScale(StateDict, String)} on the 0-dim tensor itself. */
    public static void clampLogitScale(Tensor logitScale) {
        float[] s = logitScale.data();
        s[0] = Math.max(0f, Math.min(MAX_LOGIT_SCALE, s[0]));
    }
}
