package io.flinkclip.kernels;

/**
 * Single-precision matrix products over flat row-major buffers. Naming follows BLAS: {@code nt} means
 * C[M,N] = A[M,K] · B[N,K]ᵀ (the nn.Linear layout, the hot path), {@code nn} C = A[M,K] · B[K,N],
 * {@code tn} C = A[K,M]ᵀ · B[K,N] (weight gradients). With {@code accumulate} the product is added to C.
 * {@code bias} (may be null) is indexed by output column and added once. C must not overlap A or B.
 *
 * <p>All entry points run the same packed, register-tiled Vector API kernel ({@link Sgemm}); the plain ones
 * repack B on every call, {@link #packed} reuses a {@link PackedMatrix} (constant weights). Summation order
 * differs from a naive loop, so results agree to float rounding, not bit for bit.
 */
public final class Gemm {
    private Gemm() {}

    public static void nt(float[] a, int aOff, float[] b, int bOff, float[] bias, float[] c, int cOff,
                          int m, int n, int k, boolean accumulate) {
        nt(a, aOff, b, bOff, bias, c, cOff, m, n, k, accumulate, Epilogue.NONE);
    }

    /** {@link #nt} with an activation fused into the final store. */
    public static void nt(float[] a, int aOff, float[] b, int bOff, float[] bias, float[] c, int cOff,
                          int m, int n, int k, boolean accumulate, Epilogue act) {
        check(a, aOff, b, bOff, bias, c, cOff, m, n, k);
        if (m == 0 || n == 0) return;
        float[] bp = Scratch.acquire(Scratch.PACK_B, PackedMatrix.size(n, k));
        try {
            Packing.packBnt(b, bOff, n, k, bp, 2L * m * n * k >= (1L << 22));
            Sgemm.run(a, aOff, false, PackedMatrix.wrap(bp, k, n), bias, c, cOff, m, n, k, accumulate, act);
        } finally {
            Scratch.release(Scratch.PACK_B, bp);
        }
    }

    public static void nn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        check(a, aOff, b, bOff, null, c, cOff, m, n, k);
        if (m == 0 || n == 0) return;
        float[] bp = Scratch.acquire(Scratch.PACK_B, PackedMatrix.size(n, k));
        try {
            Packing.packBnn(b, bOff, n, k, bp, 2L * m * n * k >= (1L << 22));
            Sgemm.run(a, aOff, false, PackedMatrix.wrap(bp, k, n), null, c, cOff, m, n, k, accumulate, Epilogue.NONE);
        } finally {
            Scratch.release(Scratch.PACK_B, bp);
        }
    }

    public static void tn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        check(a, aOff, b, bOff, null, c, cOff, m, n, k);
        if (m == 0 || n == 0) return;
        float[] bp = Scratch.acquire(Scratch.PACK_B, PackedMatrix.size(n, k));
        try {
            Packing.packBnn(b, bOff, n, k, bp, 2L * m * n * k >= (1L << 22));
            Sgemm.run(a, aOff, true, PackedMatrix.wrap(bp, k, n), null, c, cOff, m, n, k, accumulate, Epilogue.NONE);
        } finally {
            Scratch.release(Scratch.PACK_B, bp);
        }
    }

    /** C[m, b.n()] (+)= A[m, b.k()] · B (+ bias) then {@code act}, with B packed ahead of time. */
    public static void packed(float[] a, int aOff, PackedMatrix b, float[] bias, float[] c, int cOff, int m,
                              boolean accumulate, Epilogue act) {
        if (b == null) throw new IllegalArgumentException("packed B is null");
        check(a, aOff, null, 0, bias, c, cOff, m, b.n, b.k);
        Sgemm.run(a, aOff, false, b, bias, c, cOff, m, b.n, b.k, accumulate, act);
    }

    private static void check(float[] a, int aOff, float[] b, int bOff, float[] bias, float[] c, int cOff, int m, int n, int k) {
        Checks.dims("m", m, "n", n, "k", k);
        Checks.range("A", a, aOff, (long) m * k);
        if (b != null || bOff != 0) Checks.range("B", b, bOff, (long) n * k);
        Checks.range("C", c, cOff, (long) m * n);
        if (bias != null && bias.length < n) throw new IllegalArgumentException("bias has " + bias.length + " values, need n=" + n);
    }
}
