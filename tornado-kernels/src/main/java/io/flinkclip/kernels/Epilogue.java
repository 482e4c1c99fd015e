package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;

/** Element-wise activation fused into the store of a GEMM tile, so the output is written once. */
public enum Epilogue {
    NONE,
    /** x · sigmoid(1.702 x), CLIP's QuickGELU. */
    QUICK_GELU,
    RELU;

    float apply(float v) {
        return switch (this) {
            case NONE -> v;
            case QUICK_GELU -> v / (VectorMath.exp(v * -1.702f) + 1f);
            case RELU -> v < 0 ? 0 : v;
        };
    }

    /** Lane for lane identical to {@link #apply} (see {@link VectorMath} for why not {@code lanewise(EXP)}). */
    static FloatVector quickGelu(FloatVector v) {
        return v.div(VectorMath.exp(v.mul(-1.702f)).add(1f));
    }
}
