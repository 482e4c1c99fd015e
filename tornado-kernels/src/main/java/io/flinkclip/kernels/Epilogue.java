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

    /** Applies this activation in place to a rows×cols block at c[off] with row stride ld. */
    void applyRows(float[] c, int off, int ld, int rows, int cols) {
        if (this == NONE) return;
        for (int r = 0; r < rows; r++) {
            int o = off + r * ld, j = 0, vec = MicroKernel.S.loopBound(cols);
            for (; j < vec; j += MicroKernel.VL) {
                FloatVector v = FloatVector.fromArray(MicroKernel.S, c, o + j);
                (this == RELU ? v.max(0f) : quickGelu(v)).intoArray(c, o + j);
            }
            for (; j < cols; j++) c[o + j] = apply(c[o + j]);
        }
    }

    /** Uses the Vector API's EXP (an accurate intrinsic, ~1 ulp), not a polynomial shortcut. */
    static FloatVector quickGelu(FloatVector v) {
        return v.div(v.mul(-1.702f).lanewise(VectorOperators.EXP).add(1f));
    }
}
