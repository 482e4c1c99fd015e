package io.flinkclip.kernels;

/**
 * The right operand B[K,N] of a GEMM, copied once into the micro-kernel's layout: panels of
 * {@link MicroKernel#NR} columns, each K-major and zero-padded. Pack constant weights once and reuse them
 * with {@link Gemm#packed}; the plain {@link Gemm} entry points repack B on every call.
 */
public final class PackedMatrix {
    final int k, n;
    final float[] data;

    private PackedMatrix(int k, int n, float[] data) { this.k = k; this.n = n; this.data = data; }

    /** Packs B given as rows of {@code k} values, {@code n} rows: the nn.Linear weight layout [out, in]. */
    public static PackedMatrix fromRowsNK(float[] b, int bOff, int n, int k) {
        Checks.dims("n", n, "k", k);
        Checks.range("B", b, bOff, (long) n * k);
        PackedMatrix p = new PackedMatrix(k, n, new float[size(n, k)]);
        Packing.packBnt(b, bOff, n, k, p.data, true);
        return p;
    }

    /** Packs B given row-major as [k, n]. */
    public static PackedMatrix fromRowsKN(float[] b, int bOff, int k, int n) {
        Checks.dims("n", n, "k", k);
        Checks.range("B", b, bOff, (long) n * k);
        PackedMatrix p = new PackedMatrix(k, n, new float[size(n, k)]);
        Packing.packBnn(b, bOff, n, k, p.data, true);
        return p;
    }

    static int size(int n, int k) {
        long s = (long) Packing.panels(n, MicroKernel.NR) * MicroKernel.NR * k;
        if (s > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("packed matrix too large: n=" + n + " k=" + k);
        return (int) s;
    }

    /** Columns of B (outputs of the layer). */
    public int n() { return n; }

    /** Rows of B (the reduction length). */
    public int k() { return k; }
}
