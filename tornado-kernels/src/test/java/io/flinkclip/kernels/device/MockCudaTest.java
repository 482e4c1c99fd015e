package io.flinkclip.kernels.device;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/** The FFM binding of the CUDA backend against a mock libcuda built here with gcc: data paths and error paths. */
class MockCudaTest {
    private static Path lib;
    private static MethodHandle setResult, liveAllocations, launches, liveHandles, asyncCopies;

    @BeforeAll
    static void buildMock() throws Exception {
        Path dir = Files.createTempDirectory("mockcuda");
        Path src = dir.resolve("mock_cuda.c");
        try (InputStream in = MockCudaTest.class.getResourceAsStream("mock_cuda.c")) {
            Files.write(src, in.readAllBytes());
        }
        lib = dir.resolve("libcuda.so.1");
        Process p = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O1", "-o", lib.toString(), src.toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "gcc failed to build the mock libcuda");
        SymbolLookup l = SymbolLookup.libraryLookup(lib, Arena.global());
        Linker linker = Linker.nativeLinker();
        setResult = linker.downcallHandle(l.find("mock_set_result").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        liveAllocations = linker.downcallHandle(l.find("mock_live_allocations").orElseThrow(), FunctionDescriptor.of(JAVA_LONG));
        launches = linker.downcallHandle(l.find("mock_launches").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
        liveHandles = linker.downcallHandle(l.find("mock_live_handles").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
        asyncCopies = linker.downcallHandle(l.find("mock_async_copies").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
        System.setProperty("clip.cuda.library", lib.toString());
        System.setProperty("clip.cuda.noCublas", "true");
    }

    private static void fail(String fn, int code) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) setResult.invokeExact(a.allocateFrom(fn), code);
            assertEquals(0, rc);
        }
    }

    @AfterEach
    void reset() throws Throwable { fail("", 0); }

    @Test
    void movesDataAndMarshalsKernelArguments() throws Throwable {
        long before = (long) liveAllocations.invokeExact();
        int launchesBefore = (int) launches.invokeExact();
        try (CudaDevice d = CudaDevice.open(0)) {
            assertTrue(d.describe().contains("Mock GPU"), d.describe());
            try (DeviceBuffer x = d.upload(new float[] {1, -2, 3, -4, 5}); DeviceBuffer y = d.upload(new float[] {10, 20, 30, 40, 50})) {
                d.axpy(3, 2f, x, 1, y, 2);           // y[2..5) += 2·x[1..4)
                d.relu(5, x, 0);
                assertArrayEquals(new float[] {10, 20, 26, 46, 42}, d.download(y));
                assertArrayEquals(new float[] {1, 0, 3, 0, 5}, d.download(x));
                float[] part = new float[2];
                d.download(y, 3, part, 0, 2);
                assertArrayEquals(new float[] {46, 42}, part);
                assertThrows(IndexOutOfBoundsException.class, () -> d.download(y, 4, new float[2], 0, 2));
            }
        }
        assertEquals(before, (long) liveAllocations.invokeExact(), "device buffers leaked");
        assertEquals(launchesBefore + 2, (int) launches.invokeExact());
    }

    @Test
    void largeUploadsGoThroughPageLockedStagingOrFallBackToPageableCopies() throws Throwable {
        int handlesBefore = (int) liveHandles.invokeExact();
        // 2.5 staging halves: pieces of 1, 1 and 0.5 halves, the third reusing the first half
        int len = (int) (5 * StagedUploads.HALF_BYTES / 2 / 4);
        float[] src = new float[len + 7];
        for (int i = 0; i < src.length; i++) src[i] = i * 0.5f - 3;
        float[] want = java.util.Arrays.copyOfRange(src, 7, 7 + len);
        for (int mode = 0; mode < 3; mode++) { // staged by one thread, staged by three, pageable
            boolean pinned = mode < 2;
            if (!pinned) fail("cuMemHostAlloc", 2);
            System.setProperty("clip.cuda.uploadThreads", mode == 1 ? "3" : "1");
            int copiesBefore = (int) asyncCopies.invokeExact();
            try (CudaDevice d = CudaDevice.open(0); DeviceBuffer b = d.allocate(len + 5)) {
                d.write(b, 5, src, 7, len);
                float[] got = new float[len];
                d.download(b, 5, got, 0, len);
                assertArrayEquals(want, got, pinned ? "staged" : "pageable");
                d.write(b, 0, new float[] {9, 8}, 0, 2); // small writes stay pageable
                float[] head = new float[6];
                d.download(b, 0, head, 0, 6);
                assertArrayEquals(new float[] {9, 8, 0, 0, 0, src[7]}, head);
            }
            assertEquals(pinned ? 3 : 0, (int) asyncCopies.invokeExact() - copiesBefore, "async copies");
            assertEquals(handlesBefore, (int) liveHandles.invokeExact(), "staging memory or events leaked");
        }
        System.clearProperty("clip.cuda.uploadThreads");
    }

    @Test
    void closeReleasesTheModuleAndTheContextAndLaterUseFails() throws Throwable {
        int before = (int) liveHandles.invokeExact();
        for (int i = 0; i < 3; i++) { // a Flink job reloading its model opens a device each time
            CudaDevice d = CudaDevice.open(0);
            DeviceBuffer x = d.upload(new float[] {1, 2});
            assertEquals(before + 2, (int) liveHandles.invokeExact(), "a context retain and a module while open");
            x.close();
            d.close();
            d.close(); // idempotent
            assertEquals(before, (int) liveHandles.invokeExact(), "open " + i + " leaked a context or module");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.allocate(4));
            assertTrue(e.getMessage().endsWith("is closed"), e.getMessage());
        }
        // a module that fails to load releases the context it retained
        fail("cuModuleLoadData", 200);
        DeviceException e = assertThrows(DeviceException.class, () -> CudaDevice.open(0));
        assertTrue(e.getMessage().contains("CUDA_ERROR_INVALID_IMAGE"), e.getMessage());
        assertEquals(before, (int) liveHandles.invokeExact(), "failed open leaked its context");
    }

    @Test
    void noDeviceIsOneClearError() throws Throwable {
        fail("cuInit", 100);
        DeviceException e = assertThrows(DeviceException.class, () -> CudaDevice.open(0));
        assertEquals("CUDA cuInit failed: CUDA_ERROR_NO_DEVICE (100)", e.getMessage());
    }

    @Test
    void outOfMemoryIsReportedAsSuch() throws Throwable {
        try (CudaDevice d = CudaDevice.open(0)) {
            fail("cuMemAlloc_v2", 2);
            DeviceException e = assertThrows(DeviceException.class, () -> d.allocate(1 << 20));
            assertTrue(e.getMessage().startsWith("out of device memory"), e.getMessage());
        }
    }

    @Test
    void failedLaunchNamesTheKernel() throws Throwable {
        try (CudaDevice d = CudaDevice.open(0); DeviceBuffer x = d.upload(new float[4])) {
            fail("cuLaunchKernel", 719);
            DeviceException e = assertThrows(DeviceException.class, () -> d.relu(4, x, 0));
            assertEquals("CUDA cuLaunchKernel(relu) failed: CUDA_ERROR_LAUNCH_FAILED (719)", e.getMessage());
        }
    }

    @Test
    void missingDriverLibraryIsOneClearError() {
        String saved = System.getProperty("clip.cuda.library");
        System.setProperty("clip.cuda.library", "/nonexistent/libcuda.so.1");
        try {
            DeviceException e = assertThrows(DeviceException.class, () -> CudaDevice.open(0));
            assertTrue(e.getMessage().contains("could not be loaded"), e.getMessage());
            // auto falls back to the CPU instead of failing
            try (Device auto = Devices.open("auto")) {
                assertTrue(auto instanceof CpuDevice, auto.describe());
            }
        } finally {
            System.setProperty("clip.cuda.library", saved);
        }
    }

    @Test
    void shippedFatbinIsACudaFatbinary() {
        byte[] fatbin = KernelSource.bytes("clip_kernels.fatbin");
        int magic = (fatbin[0] & 0xff) | (fatbin[1] & 0xff) << 8 | (fatbin[2] & 0xff) << 16 | (fatbin[3] & 0xff) << 24;
        assertEquals(0xBA55ED50, magic);
    }

    @Test
    void shippedFatbinWasBuiltFromTheCurrentKernelSource() throws Exception {
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(KernelSource.bytes("prelude_cuda.h"));
        sha.update(KernelSource.bytes("clip_kernels.h"));
        String want = java.util.HexFormat.of().formatHex(sha.digest());
        String built = new String(KernelSource.bytes("clip_kernels.fatbin.sha256"), java.nio.charset.StandardCharsets.US_ASCII).trim();
        assertEquals(want, built, "clip_kernels.fatbin is older than the kernel source: run tornado-kernels/build-cuda.sh where nvcc is installed");
    }

    @Test
    void unknownDeviceSpecIsRejected() {
        DeviceException e = assertThrows(DeviceException.class, () -> Devices.open("tpu"));
        assertTrue(e.getMessage().contains("unknown clip.device 'tpu'"));
    }
}
