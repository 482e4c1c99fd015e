package io.flinkclip.tasks.zeroshot;

import io.flinkclip.tasks.Vectors;

/**
 * The zero-shot weight matrix: one L2-normalised embedding per class, row-major (classes × dim).
 * Immutable, so one instance can be shared across threads and through {@link ClassEmbeddingCache}.
 */
public final class ClassEmbeddings {
    private final float[] matrix;
    private final int classes;
    private final int dim;

    /** @param rows one row per class; each row is L2-normalised here */
    public ClassEmbeddings(float[][] rows) {
        if (rows.length == 0) throw new IllegalArgumentException("no classes");
        this.classes = rows.length;
        this.dim = rows[0].length;
        if (dim == 0) throw new IllegalArgumentException("class embeddings have dimension 0");
        this.matrix = Vectors.flatten(Vectors.normalizedRows(rows, dim), dim);
    }

    public int classes() { return classes; }

    public int dim() { return dim; }

    /** A copy of class {@code c}'s normalised embedding. */
    public float[] row(int c) {
        float[] out = new float[dim];
        System.arraycopy(matrix, c * dim, out, 0, dim);
        return out;
    }

    /** A copy of the whole matrix, classes × dim row-major (e.g. to ship to an operator). */
    public float[] toArray() { return matrix.clone(); }

    /** The backing row-major matrix; callers must not modify it. */
    float[] matrix() { return matrix; }
}
