package io.flinkclip.kernels;

/**
 * Single-precision matrix products over flat row-major buffers. Naming follows BLAS: {@code nt} means
 * C[M,N] = A[M,K] · B[N,K]ᵀ (the nn.Linear layout, the hot path), {@code nn} C = A[M,K] · B[K,N],
 * {@code tn} C = A[K,M]ᵀ · B[K,N] (weight gradients). With {@code accumulate} the product is added to C.
 */
public final class Gemm {
    private Gemm() {}

    public static void nt(float[] a, int aOff, float[] b, int bOff, float[] bias, float[] c, int cOff,
                          int m, int n, int k, boolean accumulate) {
        Parallel.forEach(m, 1, i -> {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[aOff + i * k + p] * b[bOff + j * k + p];
                if (bias != null) s += bias[j];
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        });
    }

    public static void nn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        Parallel.forEach(m, 1, i -> {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[aOff + i * k + p] * b[bOff + p * n + j];
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        });
    }

    public static void tn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        Parallel.forEach(m, 1, i -> {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[aOff + p * m + i] * b[bOff + p * n + j];
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        });
    }
}
