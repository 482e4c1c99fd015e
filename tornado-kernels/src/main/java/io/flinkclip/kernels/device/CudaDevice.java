package io.flinkclip.kernels.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * NVIDIA backend: the kernels of {@code clip_kernels.h} compiled by nvcc at build time into
 * {@code clip_kernels.fatbin} (SASS for sm_80 and sm_90 plus PTX, so newer GPUs JIT it), launched through the
 * driver API, and GEMMs through the system's cuBLAS. All calls go through the FFM API. Work is issued on the
 * context's default stream in order; {@link #download} synchronises.
 */
public final class CudaDevice extends KernelDevice {
    private static final Logger LOG = Logger.getLogger(CudaDevice.class.getName());
    private final CudaDriver cu;
    private final MemorySegment context;
    private final MemorySegment module;
    private final int dev;
    private boolean closed;
    private final Cublas cublas;
    private final String description;
    private final Map<String, MemorySegment> functions = new ConcurrentHashMap<>();
    /**
     * {@code -Dclip.cuda.profile=true}: every operation synchronises and its wall time is summed per kernel name, to find
     * the slow kernels of a model on a real GPU ({@link #profileReport}). Off by default: the syncs cost throughput.
     */
    private final Map<String, long[]> profile = Boolean.getBoolean("clip.cuda.profile") ? new java.util.TreeMap<>() : null;
    /** Large uploads through page-locked memory (created on the first one; see {@link StagedUploads}). */
    private StagedUploads staged;

    private CudaDevice(CudaDriver cu, int ordinal, Cublas.Precision precision) {
        this.cu = cu;
        cu.init();
        int count = cu.deviceCount();
        if (ordinal >= count) throw new DeviceException("CUDA device " + ordinal + " not found (" + count + " devices)");
        dev = cu.device(ordinal);
        context = cu.primaryContext(dev);
        try {
            module = cu.loadModule(KernelSource.bytes("clip_kernels.fatbin"));
        } catch (RuntimeException e) {
            cu.releasePrimaryContext(dev);
            throw e;
        }
        StringBuilder why = new StringBuilder();
        cublas = Boolean.getBoolean("clip.cuda.noCublas") ? null : Cublas.load(precision, why);
        if (cublas == null && !Boolean.getBoolean("clip.cuda.noCublas")) LOG.warning("cuBLAS unavailable, using our GEMM kernel: " + why);
        description = "cuda:" + ordinal + " " + cu.deviceName(dev) + (cublas == null ? "" : " (cuBLAS " + precision.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }

    /** Opens GPU {@code ordinal} with the GEMM arithmetic of {@code -Dclip.cuda.math} (fp32, tf32 or bf16; default fp32). */
    public static CudaDevice open(int ordinal) { return open(ordinal, System.getProperty("clip.cuda.math", "fp32")); }

    /** Opens GPU {@code ordinal} with GEMMs in {@code math}: fp32, tf32 or bf16 (tensor cores, FP32 accumulation; see {@link Cublas.Precision}). */
    public static CudaDevice open(int ordinal, String math) {
        Cublas.Precision precision = Cublas.Precision.parse(math);
        return new CudaDevice(new CudaDriver(System.getProperty("clip.cuda.library", "libcuda.so.1")), ordinal, precision);
    }

    @Override
    public String describe() { return description; }

    private final class CuBuffer implements DeviceBuffer {
        final CudaDevice owner = CudaDevice.this;
        final long ptr;
        final long length;
        boolean freed;

        CuBuffer(long ptr, long length) { this.ptr = ptr; this.length = length; }

        @Override
        public long length() { return length; }

        @Override
        public synchronized void close() {
            if (freed) return;
            freed = true;
            // the context must be current on this thread (a Flink operator may close from another thread); after the
            // device's close, the memory goes with the context's teardown
            synchronized (owner) {
                if (owner.closed) return;
                owner.current();
                cu.free(ptr);
            }
        }
    }

    private CuBuffer cuda(DeviceBuffer b) {
        if (!(b instanceof CuBuffer c) || c.owner != this) throw new IllegalArgumentException("buffer does not belong to " + description);
        if (c.freed) throw new IllegalStateException("buffer was already freed");
        return c;
    }

    @Override
    public DeviceBuffer allocate(long elements) {
        current();
        long ptr = cu.alloc(Math.max(4, elements * 4));
        cu.memsetD32(ptr, 0, Math.max(1, elements));
        return new CuBuffer(ptr, elements);
    }

    @Override
    public DeviceBuffer upload(float[] data) {
        DeviceBuffer b = allocate(data.length);
        write(b, 0, data, 0, data.length);
        return b;
    }

    @Override
    public DeviceBuffer uploadInts(int[] data) {
        DeviceBuffer b = allocate(data.length);
        if (data.length > 0) cu.copyToDevice(cuda(b).ptr, data);
        return b;
    }

    @Override
    public void write(DeviceBuffer dst, long dstOff, float[] src, int srcOff, int len) {
        check(dst, dstOff, len);
        java.util.Objects.checkFromIndexSize(srcOff, len, src.length);
        if (len == 0) return;
        current();
        long t0 = System.nanoTime();
        long bytes = len * 4L, to = cuda(dst).ptr + dstOff * 4;
        if (bytes < StagedUploads.MIN_BYTES || !stagedCopy(to, src, srcOff, bytes)) cu.copyToDevice(to, src, srcOff, len);
        record("copy to device", t0);
    }

    /** False when page-locked staging is unavailable (then the caller copies from pageable memory). */
    private synchronized boolean stagedCopy(long to, float[] src, int srcOff, long bytes) {
        if (staged == null) staged = new StagedUploads(cu);
        return staged.copy(to, src, srcOff, bytes);
    }

    @Override
    public void download(DeviceBuffer src, long srcOff, float[] dst, int dstOff, int len) {
        check(src, srcOff, len);
        java.util.Objects.checkFromIndexSize(dstOff, len, dst.length);
        if (len == 0) return;
        current();
        long t0 = System.nanoTime();
        cu.copyToHost(dst, dstOff, cuda(src).ptr + srcOff * 4, len);
        record("copy to host", t0);
    }

    private static void check(DeviceBuffer b, long off, int len) {
        if (off < 0 || len < 0 || off + len > b.length()) {
            throw new IndexOutOfBoundsException("range [" + off + ", " + (off + len) + ") outside a buffer of " + b.length());
        }
    }

    @Override
    public void synchronize() {
        current();
        cu.synchronize();
    }

    @Override
    public void gemm(int m, int n, int k, DeviceBuffer a, int aOff, int ars, int acs, DeviceBuffer b, int bOff, int brs, int bcs,
                     DeviceBuffer bias, int biasOff, DeviceBuffer c, int cOff, int ldc, float beta) {
        if (m == 0 || n == 0) return;
        boolean biasOk = bias == null || ldc == n;
        if (cublas != null && biasOk) {
            current();
            boolean bf16 = cublas.precision == Cublas.Precision.BF16 && k > 0 && Cublas.blasStrides(ars, acs, brs, bcs);
            long aPtr = cuda(a).ptr + aOff * 4L, bPtr = cuda(b).ptr + bOff * 4L;
            if (bf16) { // each operand's span rounded to bf16 in scratch memory, same element layout
                long spanA = span(m, k, ars, acs), spanB = span(k, n, brs, bcs), bAt = (spanA + 127) / 128 * 128; // 256-byte aligned
                DeviceBuffer s = bf16Scratch(bAt + spanB);
                launch("f32_to_bf16", new int[] {Math.toIntExact(spanA)}, new int[] {BLOCK}, (int) spanA, a, aOff, s, 0);
                launch("f32_to_bf16", new int[] {Math.toIntExact(spanB)}, new int[] {BLOCK}, (int) spanB, b, bOff, s, (int) bAt);
                aPtr = cuda(s).ptr;
                bPtr = cuda(s).ptr + 2 * bAt;
            }
            long t0 = System.nanoTime();
            if (cublas.gemm(m, n, k, aPtr, ars, acs, bPtr, brs, bcs, cuda(c).ptr + cOff * 4L, ldc, beta, bf16)) {
                record("cuBLAS gemm", t0);
                if (bias != null) {
                    // add_row_vector takes (y, yOff, v, vOff): the bias offset rides on the element offset.
                    addRowVector(m, n, c, cOff, bias, biasOff);
                }
                return;
            }
        }
        super.gemm(m, n, k, a, aOff, ars, acs, b, bOff, brs, bcs, bias, biasOff, c, cOff, ldc, beta);
    }

    /** Elements one operand view spans: from element 0 to element (rows−1, cols−1). */
    private static long span(int rows, int cols, int rs, int cs) { return (long) (rows - 1) * rs + (long) (cols - 1) * cs + 1; }

    /** bf16 copies of GEMM operands ({@link Cublas.Precision#BF16}): one buffer, grown when a product needs more. */
    private DeviceBuffer bf16Scratch;

    private DeviceBuffer bf16Scratch(long bf16Values) {
        long floats = (bf16Values + 1) / 2;
        if (bf16Scratch == null || bf16Scratch.length() < floats) {
            if (bf16Scratch != null) bf16Scratch.close(); // cuMemFree waits for the queued products that read it
            bf16Scratch = allocate(Math.max(floats, bf16Scratch == null ? 0 : bf16Scratch.length() * 3 / 2));
        }
        return bf16Scratch;
    }

    @Override
    protected void launch(String name, int[] global, int[] local, Object... args) {
        current();
        MemorySegment fn = functions.computeIfAbsent(name, n -> cu.function(module, n));
        int[] grid = {1, 1, 1}, block = {1, 1, 1};
        for (int i = 0; i < global.length; i++) {
            block[i] = local[i];
            grid[i] = Math.max(1, (global[i] + local[i] - 1) / local[i]);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate(ValueLayout.ADDRESS, args.length);
            for (int i = 0; i < args.length; i++) {
                MemorySegment v;
                switch (args[i]) {
                    case DeviceBuffer b -> v = a.allocateFrom(ValueLayout.JAVA_LONG, cuda(b).ptr);
                    case Integer x -> v = a.allocateFrom(ValueLayout.JAVA_INT, x);
                    case Float x -> v = a.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                    default -> throw new IllegalArgumentException("unsupported kernel argument " + args[i]);
                }
                params.setAtIndex(ValueLayout.ADDRESS, i, v);
            }
            long t0 = System.nanoTime();
            cu.launch(fn, grid, block, params, name);
            record(name, t0);
        }
    }

    private void record(String name, long t0) {
        if (profile == null) return;
        cu.synchronize();
        long dt = System.nanoTime() - t0;
        synchronized (profile) {
            long[] a = profile.computeIfAbsent(name, k -> new long[2]);
            a[0]++;
            a[1] += dt;
        }
    }

    /** Per kernel: calls, milliseconds and share of the profiled time since the last reset (empty unless -Dclip.cuda.profile=true). */
    public String profileReport() {
        if (profile == null) return "";
        synchronized (profile) {
            long total = profile.values().stream().mapToLong(a -> a[1]).sum();
            StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "%-28s %8s %10s %6s%n", "kernel", "calls", "ms", "share"));
            profile.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).forEach(e -> sb.append(String.format(
                    java.util.Locale.ROOT, "%-28s %8d %10.2f %5.1f%%%n", e.getKey(), e.getValue()[0], e.getValue()[1] / 1e6, 100.0 * e.getValue()[1] / Math.max(1, total))));
            return sb.toString();
        }
    }

    public void resetProfile() {
        if (profile != null) synchronized (profile) { profile.clear(); }
    }

    /** Makes this device's context current on the calling thread (Flink calls come from several threads). */
    private void current() {
        if (closed) throw new IllegalStateException(description + " is closed");
        cu.setCurrent(context);
    }

    /**
     * Waits for queued work, then frees what the device opened: the cuBLAS handle (and its workspace), the kernel module
     * and this device's retain of the primary context (a Flink job that reloads its model opens a device each time).
     * Buffers must be closed first. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            synchronize();
        } finally {
            closed = true;
            try {
                if (staged != null) staged.close();
                if (bf16Scratch != null) bf16Scratch.close();
                if (cublas != null) cublas.close();
                cu.unloadModule(module);
            } finally {
                cu.releasePrimaryContext(dev);
            }
        }
    }
}
