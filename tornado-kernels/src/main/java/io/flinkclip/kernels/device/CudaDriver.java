package io.flinkclip.kernels.device;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA driver API functions flink-clip uses, bound with the Foreign Function & Memory API (no JNI code).
 * The library is {@code libcuda.so.1} from the system's loader path, or the file named by
 * {@code -Dclip.cuda.library} (tests point it at a mock). Every call's CUresult is checked; failures become
 * a {@link DeviceException} naming the call and the CUDA error.
 */
final class CudaDriver {
    static final int CUDA_SUCCESS = 0;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;

    private final MethodHandle cuInit, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDevicePrimaryCtxRetain, cuCtxSetCurrent,
            cuModuleLoadData, cuModuleGetFunction, cuMemAlloc, cuMemFree, cuMemcpyHtoD, cuMemcpyDtoH,
            cuMemsetD32, cuLaunchKernel,
            cuCtxSynchronize, cuGetErrorName, cuModuleUnload, cuDevicePrimaryCtxRelease,
            cuMemHostAlloc, cuMemFreeHost, cuMemcpyHtoDAsync, cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventDestroy;
    final String library;

    CudaDriver(String library) {
        this.library = library;
        SymbolLookup lib;
        try {
            lib = library.contains("/") ? SymbolLookup.libraryLookup(java.nio.file.Path.of(library), Arena.global())
                    : SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new DeviceException("CUDA driver library " + library + " could not be loaded (no NVIDIA driver installed?)", e);
        }
        Linker l = Linker.nativeLinker();
        cuInit = bind(l, lib, "cuInit", JAVA_INT);
        cuDeviceGetCount = bind(l, lib, "cuDeviceGetCount", ADDRESS);
        cuDeviceGet = bind(l, lib, "cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = bind(l, lib, "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDevicePrimaryCtxRetain = bind(l, lib, "cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuCtxSetCurrent = bind(l, lib, "cuCtxSetCurrent", ADDRESS);
        cuModuleLoadData = bind(l, lib, "cuModuleLoadData", ADDRESS, ADDRESS);
        cuModuleGetFunction = bind(l, lib, "cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuMemAlloc = bind(l, lib, "cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = bind(l, lib, "cuMemFree_v2", JAVA_LONG);
        // Copies straight from/to Java arrays: a critical downcall may take heap segments, so a 150 MB batch of pixels is
        // not first copied into native memory (the driver stages pageable memory itself, as it does for malloc'd memory).
        cuMemcpyHtoD = bind(l, lib, "cuMemcpyHtoD_v2", true, JAVA_LONG, ADDRESS, JAVA_LONG);
        cuMemcpyDtoH = bind(l, lib, "cuMemcpyDtoH_v2", true, ADDRESS, JAVA_LONG, JAVA_LONG);
        cuMemsetD32 = bind(l, lib, "cuMemsetD32_v2", JAVA_LONG, JAVA_INT, JAVA_LONG);
        cuLaunchKernel = bind(l, lib, "cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS);
        cuCtxSynchronize = bind(l, lib, "cuCtxSynchronize");
        cuGetErrorName = bind(l, lib, "cuGetErrorName", JAVA_INT, ADDRESS);
        cuModuleUnload = bind(l, lib, "cuModuleUnload", ADDRESS);
        cuDevicePrimaryCtxRelease = bind(l, lib, "cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        // page-locked staging for large uploads (StagedUploads): DMA at full bus speed, asynchronous to the host
        cuMemHostAlloc = bind(l, lib, "cuMemHostAlloc", ADDRESS, JAVA_LONG, JAVA_INT);
        cuMemFreeHost = bind(l, lib, "cuMemFreeHost", ADDRESS);
        cuMemcpyHtoDAsync = bind(l, lib, "cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuEventCreate = bind(l, lib, "cuEventCreate", ADDRESS, JAVA_INT);
        cuEventRecord = bind(l, lib, "cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = bind(l, lib, "cuEventSynchronize", ADDRESS);
        cuEventDestroy = bind(l, lib, "cuEventDestroy_v2", ADDRESS);
    }

    private static MethodHandle bind(Linker l, SymbolLookup lib, String name, ValueLayout... args) {
        return bind(l, lib, name, false, args);
    }

    private static MethodHandle bind(Linker l, SymbolLookup lib, String name, boolean heapAccess, ValueLayout... args) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new DeviceException("CUDA driver library lacks " + name + " (driver too old?)"));
        FunctionDescriptor fd = FunctionDescriptor.of(JAVA_INT, args);
        return heapAccess ? l.downcallHandle(sym, fd, Linker.Option.critical(true)) : l.downcallHandle(sym, fd);
    }

    String errorName(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            int rc = (int) cuGetErrorName.invokeExact(code, p);
            if (rc != CUDA_SUCCESS) return "CUDA error " + code;
            return p.get(ADDRESS, 0).reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "CUDA error " + code;
        }
    }

    void check(int rc, String call) {
        if (rc == CUDA_SUCCESS) return;
        String what = errorName(rc);
        if (rc == CUDA_ERROR_OUT_OF_MEMORY) throw new DeviceException("out of device memory (" + call + ": " + what + ")");
        throw new DeviceException("CUDA " + call + " failed: " + what + " (" + rc + ")");
    }

    void init() { call("cuInit", () -> (int) cuInit.invokeExact(0)); }

    int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            call("cuDeviceGetCount", () -> (int) cuDeviceGetCount.invokeExact(n));
            return n.get(JAVA_INT, 0);
        }
    }

    int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            call("cuDeviceGet", () -> (int) cuDeviceGet.invokeExact(d, ordinal));
            return d.get(JAVA_INT, 0);
        }
    }

    String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            call("cuDeviceGetName", () -> (int) cuDeviceGetName.invokeExact(buf, 256, dev));
            return buf.getString(0);
        }
    }

    /** Retains the primary context of {@code dev} and makes it current on the calling thread. */
    MemorySegment primaryContext(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = a.allocate(ADDRESS);
            call("cuDevicePrimaryCtxRetain", () -> (int) cuDevicePrimaryCtxRetain.invokeExact(ctx, dev));
            MemorySegment c = ctx.get(ADDRESS, 0);
            setCurrent(c);
            return c;
        }
    }

    /** Drops the retain of {@link #primaryContext}: the driver destroys the context with its last user. */
    void releasePrimaryContext(int dev) { call("cuDevicePrimaryCtxRelease", () -> (int) cuDevicePrimaryCtxRelease.invokeExact(dev)); }

    void unloadModule(MemorySegment module) { call("cuModuleUnload", () -> (int) cuModuleUnload.invokeExact(module)); }

    void setCurrent(MemorySegment ctx) { call("cuCtxSetCurrent", () -> (int) cuCtxSetCurrent.invokeExact(ctx)); }

    MemorySegment loadModule(byte[] image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment img = a.allocate(image.length + 1L);
            MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
            MemorySegment mod = a.allocate(ADDRESS);
            call("cuModuleLoadData", () -> (int) cuModuleLoadData.invokeExact(mod, img));
            return mod.get(ADDRESS, 0);
        }
    }

    MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fn = a.allocate(ADDRESS);
            MemorySegment cname = a.allocateFrom(name);
            call("cuModuleGetFunction(" + name + ")", () -> (int) cuModuleGetFunction.invokeExact(fn, module, cname));
            return fn.get(ADDRESS, 0);
        }
    }

    long alloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            call("cuMemAlloc(" + bytes + " bytes)", () -> (int) cuMemAlloc.invokeExact(p, bytes));
            return p.get(JAVA_LONG, 0);
        }
    }

    void free(long ptr) { call("cuMemFree", () -> (int) cuMemFree.invokeExact(ptr)); }

    /** Copies {@code len} floats of a Java array to the device (no native staging copy of ours). */
    void copyToDevice(long dst, float[] src, int srcOff, int len) {
        MemorySegment s = MemorySegment.ofArray(src).asSlice(srcOff * 4L, len * 4L);
        call("cuMemcpyHtoD", () -> (int) cuMemcpyHtoD.invokeExact(dst, s, len * 4L));
    }

    void copyToDevice(long dst, int[] src) {
        MemorySegment s = MemorySegment.ofArray(src);
        call("cuMemcpyHtoD", () -> (int) cuMemcpyHtoD.invokeExact(dst, s, src.length * 4L));
    }

    void copyToHost(float[] dst, int dstOff, long src, int len) {
        MemorySegment d = MemorySegment.ofArray(dst).asSlice(dstOff * 4L, len * 4L);
        call("cuMemcpyDtoH", () -> (int) cuMemcpyDtoH.invokeExact(d, src, len * 4L));
    }

    void memsetD32(long dst, int value, long count) {
        call("cuMemsetD32", () -> (int) cuMemsetD32.invokeExact(dst, value, count));
    }

    /** Page-locked host memory of {@code bytes} (cuMemHostAlloc, no flags), as a segment of that size. */
    MemorySegment hostAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            call("cuMemHostAlloc(" + bytes + " bytes)", () -> (int) cuMemHostAlloc.invokeExact(p, bytes, 0));
            return p.get(ADDRESS, 0).reinterpret(bytes);
        }
    }

    void freeHost(MemorySegment p) { call("cuMemFreeHost", () -> (int) cuMemFreeHost.invokeExact(p)); }

    /** Enqueues a copy of {@code bytes} from page-locked {@code src} on the default stream; returns before it runs. */
    void copyToDeviceAsync(long dst, MemorySegment src, long bytes) {
        call("cuMemcpyHtoDAsync", () -> (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, MemorySegment.NULL));
    }

    /** An event without timing (CU_EVENT_DISABLE_TIMING = 2): only used to wait for work queued before it. */
    MemorySegment eventCreate() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ADDRESS);
            call("cuEventCreate", () -> (int) cuEventCreate.invokeExact(e, 2));
            return e.get(ADDRESS, 0);
        }
    }

    /** Records {@code event} on the default stream. */
    void eventRecord(MemorySegment event) { call("cuEventRecord", () -> (int) cuEventRecord.invokeExact(event, MemorySegment.NULL)); }

    void eventSynchronize(MemorySegment event) { call("cuEventSynchronize", () -> (int) cuEventSynchronize.invokeExact(event)); }

    void eventDestroy(MemorySegment event) { call("cuEventDestroy", () -> (int) cuEventDestroy.invokeExact(event)); }

    void launch(MemorySegment fn, int[] grid, int[] block, MemorySegment params, String name) {
        call("cuLaunchKernel(" + name + ")", () -> (int) cuLaunchKernel.invokeExact(fn, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                0, MemorySegment.NULL, params, MemorySegment.NULL));
    }

    void synchronize() { call("cuCtxSynchronize", () -> (int) cuCtxSynchronize.invokeExact()); }

    @FunctionalInterface
    private interface Call { int run() throws Throwable; }

    private void call(String name, Call c) {
        int rc;
        try {
            rc = c.run();
        } catch (DeviceException e) {
            throw e;
        } catch (Throwable t) {
            throw new DeviceException("CUDA " + name + " could not be called: " + t, t);
        }
        check(rc, name);
    }
}
