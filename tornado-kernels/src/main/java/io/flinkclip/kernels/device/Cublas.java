package io.flinkclip.kernels.device;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * cuBLAS GEMM through the FFM API (the system's libcublas; nothing of it ships with flink-clip). Row-major
 * products are issued as the column-major product of the transposes. Operands and results are fp32 in device memory
 * in every {@link Precision}, so weights are uploaded once whatever the mode; for {@link Precision#BF16} the caller
 * converts each operand's span to bf16 just before the product ({@link #gemm}'s {@code bf16Operands}).
 */
final class Cublas {
    /** The arithmetic of every GEMM on a CUDA device ({@code -Dclip.cuda.math=fp32|tf32|bf16}, default fp32). */
    enum Precision {
        /** cublasSgemm on FP32 cores: the 1e-4 reference parity holds. */
        FP32(-1),
        /** TF32 tensor cores (10-bit mantissa inputs), FP32 accumulation: about 3e-4 relative error per GEMM. */
        TF32(77),
        /**
         * BF16 operands (CUDA_R_16BF, converted from fp32 by the caller), BF16 tensor cores, FP32 accumulation and fp32
         * results (CUBLAS_COMPUTE_32F): about 3e-3 relative error per GEMM. (The fp32-operand mode
         * CUBLAS_COMPUTE_32F_FAST_16BF, used before, gave TF32's accuracy and speed on an H100: cuBLAS may pick TF32 there.)
         */
        BF16(68);

        /** cublasComputeType_t (cublas_api.h): CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77. */
        final int computeType;

        Precision(int computeType) { this.computeType = computeType; }

        static Precision parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new DeviceException("unknown clip.cuda.math '" + s + "': use fp32, tf32 or bf16");
            }
        }

    }

    private static final int OP_N = 0, OP_T = 1, CUDA_R_32F = 0, CUDA_R_16BF = 14, GEMM_DEFAULT_ALGO = -1;
    private final MethodHandle sgemm, gemmEx, destroy;
    private final MemorySegment handle;
    final Precision precision;

    private Cublas(SymbolLookup lib, Precision precision) throws Throwable {
        this.precision = precision;
        Linker l = Linker.nativeLinker();
        MethodHandle create = l.downcallHandle(lib.find("cublasCreate_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = l.downcallHandle(lib.find("cublasDestroy_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        sgemm = l.downcallHandle(lib.find("cublasSgemm_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        // cublasGemmEx(handle, opA, opB, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc, computeType, algo)
        gemmEx = precision == Precision.FP32 ? null : l.downcallHandle(lib.find("cublasGemmEx").orElseThrow(), FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            int rc = (int) create.invokeExact(h);
            if (rc != 0) throw new DeviceException("cublasCreate failed with status " + rc);
            handle = h.get(ADDRESS, 0);
        }
    }

    /** Frees the handle and its workspace (the device's context must be current). */
    void close() {
        try {
            int rc = (int) destroy.invokeExact(handle);
            if (rc != 0) throw new DeviceException("cublasDestroy failed with status " + rc);
        } catch (DeviceException e) {
            throw e;
        } catch (Throwable t) {
            throw new DeviceException("cublasDestroy could not be called: " + t, t);
        }
    }

    /** Loads the system cuBLAS, or returns null (GEMM then runs on our own kernel) with the reason in {@code why}. */
    static Cublas load(Precision precision, StringBuilder why) {
        for (String name : new String[] {System.getProperty("clip.cublas.library", "libcublas.so"), "libcublas.so.13", "libcublas.so.12"}) {
            try {
                return new Cublas(SymbolLookup.libraryLookup(name, Arena.global()), precision);
            } catch (Throwable t) {
                why.append(name).append(": ").append(t.getMessage()).append("; ");
            }
        }
        return null;
    }

    /** Whether {@link #gemm} can take these operand strides (one stride of each operand is 1). */
    static boolean blasStrides(int ars, int acs, int brs, int bcs) { return (bcs == 1 || brs == 1) && (acs == 1 || ars == 1); }

    /**
     * Row-major C = beta·C + A·B where A(i,p) = a[i·ars + p·acs] and B(p,j) = b[p·brs + j·bcs] (addresses of element 0,
     * strides in elements); returns false when the strides are not expressible in BLAS (neither stride is 1), so the
     * caller uses its own kernel. {@code bf16Operands}: a and b hold bf16 values (2 bytes each), only in {@link Precision#BF16}.
     */
    boolean gemm(int m, int n, int k, long a, int ars, int acs, long b, int brs, int bcs, long c, int ldc, float beta, boolean bf16Operands) {
        // Column-major view: Cᵀ[n×m] = Bᵀ[n×k] · Aᵀ[k×m].
        if (bf16Operands && precision != Precision.BF16) throw new IllegalArgumentException("bf16 operands need the bf16 precision");
        int opB, ldb, opA, lda;
        if (bcs == 1) { opB = OP_N; ldb = brs; } else if (brs == 1) { opB = OP_T; ldb = bcs; } else return false;
        if (acs == 1) { opA = OP_N; lda = ars; } else if (ars == 1) { opA = OP_T; lda = acs; } else return false;
        int operandType = bf16Operands ? CUDA_R_16BF : CUDA_R_32F;
        ldb = Math.max(1, ldb);
        lda = Math.max(1, lda);
        ldc = Math.max(1, ldc);
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment alpha = ar.allocateFrom(JAVA_FLOAT, 1f), bt = ar.allocateFrom(JAVA_FLOAT, beta);
            int rc = gemmEx == null
                    ? (int) sgemm.invokeExact(handle, opB, opA, n, m, k, alpha, b, ldb, a, lda, bt, c, ldc)
                    : (int) gemmEx.invokeExact(handle, opB, opA, n, m, k, alpha, b, operandType, ldb, a, operandType, lda, bt, c, CUDA_R_32F, ldc,
                            precision.computeType, GEMM_DEFAULT_ALGO);
            if (rc != 0) {
                throw new DeviceException("cuBLAS " + (gemmEx == null ? "Sgemm" : "GemmEx " + precision) + " failed with status " + rc
                        + " (m=" + m + " n=" + n + " k=" + k + ")");
            }
            return true;
        } catch (DeviceException e) {
            throw e;
        } catch (Throwable t) {
            throw new DeviceException("cuBLAS GEMM could not be called: " + t, t);
        }
    }
}
