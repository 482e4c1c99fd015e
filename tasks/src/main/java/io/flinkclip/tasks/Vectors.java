package io.flinkclip.tasks;

/** Small numeric helpers shared by the tasks: L2 normalisation, softmax, shape checks. */
public final class Vectors {
    private Vectors() {}

    /** L2-normalised copy (in double, so short and long vectors normalise equally well). */
    public static float[] normalized(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        if (!(s > 0) || Double.isInfinite(s)) {
            throw new IllegalArgumentException("cannot normalise a vector whose squared norm is " + s);
        }
        double inv = 1.0 / Math.sqrt(s);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] * inv);
        return out;
    }

    /** Row-wise L2-normalised copy; every row must have {@code dim} values. */
    public static float[][] normalizedRows(float[][] rows, int dim) {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            requireDim(rows[i], dim, "row " + i);
            out[i] = normalized(rows[i]);
        }
        return out;
    }

    public static void requireDim(float[] v, int dim, String what) {
        if (v == null) throw new IllegalArgumentException(what + " is null");
        if (v.length != dim) throw new IllegalArgumentException(what + " has " + v.length + " values, expected " + dim);
    }

    /** Numerically stable softmax in double precision. */
    public static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /** Cosine of two already-normalised vectors, accumulated in double. */
    public static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** Flattens equally long rows into one row-major array. */
    public static float[] flatten(float[][] rows, int dim) {
        float[] out = new float[Math.multiplyExact(rows.length, dim)];
        for (int i = 0; i < rows.length; i++) {
            requireDim(rows[i], dim, "row " + i);
            System.arraycopy(rows[i], 0, out, i * dim, dim);
        }
        return out;
    }
}
