package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Element-wise activation fused into the store of a GEMM tile, so the output is written once. */
public enum Epilogue {
    NONE,
    /** x · sigmoid(1.702 x), CLIP's QuickGELU. */
    QUICK_GELU,
    RELU;

    float apply(float v) {
        return switch (this) {
            case NONE -> v;
            case QUICK_GELU -> (float) (v / (1.0 + Math.exp(-1.702 * v)));
            case RELU -> v < 0 ? 0 : v;
        };
    }

    /** Uses the Vector API's EXP (an accurate intrinsic, ~1 ulp), not a polynomial shortcut. */
    static FloatVector quickGelu(FloatVector v) {
        return v.div(v.mul(-1.702f).lanewise(VectorOperators.EXP).add(1f));
    }
}
