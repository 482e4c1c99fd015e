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

    /**
     * Applies this activation in place to a rows×cols block at c[off] with row stride ld. One method per
     * activation keeps each vector loop free of branches (see {@link MicroKernel#tile} on deoptimisation).
     */
    void applyRows(float[] c, int off, int ld, int rows, int cols) {
        switch (this) {
            case NONE -> { }
            case QUICK_GELU -> quickGeluRows(c, off, ld, rows, cols);
            case RELU -> reluRows(c, off, ld, rows, cols);
        }
    }

    private static void quickGeluRows(float[] c, int off, int ld, int rows, int cols) {
        int vec = MicroKernel.S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int o = off + r * ld, j = 0;
            for (; j < vec; j += MicroKernel.VL) quickGelu(FloatVector.fromArray(MicroKernel.S, c, o + j)).intoArray(c, o + j);
            for (; j < cols; j++) c[o + j] = QUICK_GELU.apply(c[o + j]);
        }
    }

    private static void reluRows(float[] c, int off, int ld, int rows, int cols) {
        int vec = MicroKernel.S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int o = off + r * ld, j = 0;
            for (; j < vec; j += MicroKernel.VL) FloatVector.fromArray(MicroKernel.S, c, o + j).max(0f).intoArray(c, o + j);
            for (; j < cols; j++) c[o + j] = Math.max(c[o + j], 0f);
        }
    }

    /** Lane for lane identical to {@link #apply}; {@link VectorMath} says why not {@code lanewise(EXP)}. */
    static FloatVector quickGelu(FloatVector v) {
        return v.div(VectorMath.exp(v.mul(-1.702f)).add(1f));
    }
}
