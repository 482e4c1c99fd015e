package io.flinkclip.model.nn;

import io.flinkclip.kernels.PackedMatrix;

/**
 * A table of rows looked up by index: the text tower's token embedding, vocabulary × width (49,408 × 512 floats is
 * 101 MB, as much as half of RN50's packed image weights). Built for inference it is held in 16 bits when every value
 * is exactly a half, as in OpenAI's released (fp16) weights: half the memory, and a lookup widens its row to the very
 * same floats. Otherwise, and for training (whose optimiser updates the state dict's array in place), the fp32 array
 * itself is used.
 */
final class EmbeddingRows {
    final int rows, width;
    /** Exactly one is set. */
    private final float[] f32;
    private final short[] f16;

    private EmbeddingRows(int rows, int width, float[] f32, short[] f16) {
        this.rows = rows;
        this.width = width;
        this.f32 = f32;
        this.f16 = f16;
    }

    /** Rows of {@code w} [rows, width], in 16 bits when {@code compact} and every value is a half exactly. */
    static EmbeddingRows of(float[] w, int rows, int width, boolean compact) {
        requireSize(w.length, rows, width);
        short[] h = compact ? PackedMatrix.narrowExactly(w, PackedMatrix.Storage.F16) : null;
        return h != null ? new EmbeddingRows(rows, width, null, h) : new EmbeddingRows(rows, width, w, null);
    }

    /** The table for inference: a file's halves as they are stored, else {@link #of}'s narrowing of its floats. */
    static EmbeddingRows forInference(WeightValues w, int rows, int width) {
        short[] h = w.halves();
        if (h == null) return of(w.floats(), rows, width, true);
        requireSize(h.length, rows, width);
        return new EmbeddingRows(rows, width, null, h);
    }

    private static void requireSize(int values, int rows, int width) {
        if ((long) rows * width != values) throw new IllegalArgumentException("table of " + values + " values is not " + rows + " × " + width);
    }

    /** dst[off, off + width) = row {@code row} (0 ≤ row < rows, checked by the caller). */
    void copyRow(int row, float[] dst, int off) {
        int from = row * width;
        if (f32 != null) {
            System.arraycopy(f32, from, dst, off, width);
            return;
        }
        for (int c = 0; c < width; c++) dst[off + c] = Float.float16ToFloat(f16[from + c]);
    }

    /** Bytes the table holds. */
    long bytes() { return f32 != null ? 4L * f32.length : 2L * f16.length; }
}
