package io.flinkclip.model.nn;

import io.flinkclip.kernels.PackedMatrix;

/**
 * A table of rows looked up by index: the text tower's token embedding, vocabulary × width (49,408 × 512 floats is
 * 101 MB, as much as half of RN50's packed image weights). Built for inference it is held in 16 bits when every value
 * is exactly a half or a bfloat16, as in OpenAI's released (fp16) weights and bf16 conversions: half the memory, and a
 * lookup widens its row to the very same floats. Otherwise, and for training (whose optimiser updates the state
 * dict's array in place), the fp32 array itself is used.
 */
final class EmbeddingRows {
    final int rows, width;
    /** Exactly one is set. */
    private final float[] f32;
    private final short[] bits;
    /** How {@link #bits} hold their values (F16 or BF16); F32 when {@link #f32} is set. */
    private final PackedMatrix.Storage storage;

    private EmbeddingRows(int rows, int width, float[] f32, short[] bits, PackedMatrix.Storage storage) {
        requireSize(f32 != null ? f32.length : bits.length, rows, width);
        this.rows = rows;
        this.width = width;
        this.f32 = f32;
        this.bits = bits;
        this.storage = storage;
    }

    /** Rows of {@code w} [rows, width], in 16 bits when {@code compact} and every value is exactly one (F16 tried first). */
    static EmbeddingRows of(float[] w, int rows, int width, boolean compact) {
        if (compact) {
            for (PackedMatrix.Storage s : new PackedMatrix.Storage[] {PackedMatrix.Storage.F16, PackedMatrix.Storage.BF16}) {
                short[] h = PackedMatrix.narrowExactly(w, s);
                if (h != null) return new EmbeddingRows(rows, width, null, h, s);
            }
        }
        return new EmbeddingRows(rows, width, w, null, PackedMatrix.Storage.F32);
    }

    /** The table for inference: a file's 16-bit values as they are stored, else {@link #of}'s narrowing of its floats. */
    static EmbeddingRows forInference(WeightValues w, int rows, int width) {
        return w.bits() != null ? new EmbeddingRows(rows, width, null, w.bits(), w.storage()) : of(w.floats(), rows, width, true);
    }

    private static void requireSize(int values, int rows, int width) {
        if ((long) rows * width != values) throw new IllegalArgumentException("table of " + values + " values is not " + rows + " × " + width);
    }

    /** dst[off, off + width) = row {@code row} (0 ≤ row < rows, checked by the caller). */
    void copyRow(int row, float[] dst, int off) {
        int from = row * width;
        if (f32 != null) System.arraycopy(f32, from, dst, off, width);
        else PackedMatrix.widenValues(bits, from, width, storage, dst, off);
    }

    /** Bytes the table holds. */
    long bytes() { return f32 != null ? 4L * f32.length : 2L * bits.length; }
}
