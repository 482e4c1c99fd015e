package io.flinkclip.kernels.device;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * cuBLAS SGEMM through the FFM API (the system's libcublas; nothing of it ships with flink-clip). Row-major
 * products are issued as the column-major product of the transposes. TF32 tensor-core math is opt-in
 * ({@code -Dclip.cuda.tf32=true}) because it trades the 1e-4 reference parity for speed.
 */
final class Cublas {
    private static final int OP_N = 0, OP_T = 1, TF32_TENSOR_OP_MATH = 3;
    private final MethodHandle sgemm;
    private final MemorySegment handle;

    private Cublas(SymbolLookup lib) throws Throwable {
        Linker l = Linker.nativeLinker();
        MethodHandle create = l.downcallHandle(lib.find("cublasCreate_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle mathMode = l.downcallHandle(lib.find("cublasSetMathMode").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        sgemm = l.downcallHandle(lib.find("cublasSgemm_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            int rc = (int) create.invokeExact(h);
            if (rc != 0) throw new DeviceException("cublasCreate failed with status " + rc);
            handle = h.get(ADDRESS, 0);
        }
        if (Boolean.getBoolean("clip.cuda.tf32")) {
            int rc = (int) mathMode.invokeExact(handle, TF32_TENSOR_OP_MATH);
            if (rc != 0) throw new DeviceException("cublasSetMathMode failed with status " + rc);
        }
    }

    /** Loads the system cuBLAS, or returns null (GEMM then runs on our own kernel) with the reason in {@code why}. */
    static Cublas load(StringBuilder why) {
        for (String name : new String[] {System.getProperty("clip.cublas.library", "libcublas.so"), "libcublas.so.13", "libcublas.so.12"}) {
            try {
                return new Cublas(SymbolLookup.libraryLookup(name, Arena.global()));
            } catch (Throwable t) {
                why.append(name).append(": ").append(t.getMessage()).append("; ");
            }
        }
        return null;
    }

    /**
     * Row-major C = beta·C + A·B where A(i,p) = a[i·ars + p·acs] and B(p,j) = b[p·brs + j·bcs]; returns false when
     * the strides are not expressible in BLAS (neither stride is 1), so the caller uses its own kernel.
     */
    boolean gemm(int m, int n, int k, long a, int ars, int acs, long b, int brs, int bcs, long c, int ldc, float beta) {
        // Column-major view: Cᵀ[n×m] = Bᵀ[n×k] · Aᵀ[k×m].
        int opB, ldb, opA, lda;
        if (bcs == 1) { opB = OP_N; ldb = brs; } else if (brs == 1) { opB = OP_T; ldb = bcs; } else return false;
        if (acs == 1) { opA = OP_N; lda = ars; } else if (ars == 1) { opA = OP_T; lda = acs; } else return false;
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment alpha = ar.allocateFrom(JAVA_FLOAT, 1f), bt = ar.allocateFrom(JAVA_FLOAT, beta);
            int rc = (int) sgemm.invokeExact(handle, opB, opA, n, m, k, alpha, b, Math.max(1, ldb), a, Math.max(1, lda), bt, c, Math.max(1, ldc));
            if (rc != 0) throw new DeviceException("cublasSgemm failed with status " + rc + " (m=" + m + " n=" + n + " k=" + k + ")");
            return true;
        } catch (DeviceException e) {
            throw e;
        } catch (Throwable t) {
            throw new DeviceException("cublasSgemm could not be called: " + t, t);
        }
    }
}
