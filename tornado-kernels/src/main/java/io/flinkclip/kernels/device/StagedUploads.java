package io.flinkclip.kernels.device;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Host-to-device copies of Java arrays through two page-locked halves of {@link #HALF_BYTES}: the host fills one half
 * while the DMA engine moves the other ({@code cuMemcpyHtoDAsync} on the default stream; an event per half says when it
 * may be refilled). On an H100 host a pageable copy from a Java array ran at 8.5 GB/s and a page-locked one at
 * 52 GB/s, but one thread filled page-locked memory at only ~9 GB/s (a copy out of DRAM), so each half is filled by
 * {@code -Dclip.cuda.uploadThreads} threads (default half the cores, at most 4). DeviceOpBench there, 154 MB of
 * pixels with 1 / 4 / 8 threads: 17.1 / 7.4 / 7.7 ms and, in a later run, 17.9 / 6.5 / 5.9 ms.
 *
 * <p>The caller serialises calls and makes the device's context current. Where page-locked memory is refused,
 * {@link #copy} returns false (logged once) and the caller copies from pageable memory.
 */
final class StagedUploads implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StagedUploads.class.getName());
    /** Smaller copies go straight from the Java array (staging would only add a copy). */
    static final long MIN_BYTES = 1 << 20;
    static final long HALF_BYTES = 16 << 20;
    private final CudaDriver cu;
    private final int threads = Integer.getInteger("clip.cuda.uploadThreads",
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)));
    private MemorySegment[] halves;
    /** Recorded after the DMA that reads the matching half. */
    private MemorySegment[] drained;
    private int next;
    private boolean unavailable;
    private ExecutorService pool;

    StagedUploads(CudaDriver cu) { this.cu = cu; }

    /** Enqueues the copy of {@code bytes} of {@code src} from element {@code srcOff} to device address {@code to}. */
    boolean copy(long to, float[] src, int srcOff, long bytes) {
        if (!allocated()) return false;
        MemorySegment from = MemorySegment.ofArray(src).asSlice(srcOff * 4L, bytes);
        for (long done = 0; done < bytes; done += HALF_BYTES) {
            long piece = Math.min(HALF_BYTES, bytes - done);
            int h = next;
            next ^= 1;
            cu.eventSynchronize(drained[h]);
            fill(halves[h], from, done, piece);
            cu.copyToDeviceAsync(to + done, halves[h], piece);
            cu.eventRecord(drained[h]);
        }
        return true;
    }

    /** Copies {@code bytes} of {@code from} at {@code offset} into {@code half}, in slices of whole cache lines. */
    private void fill(MemorySegment half, MemorySegment from, long offset, long bytes) {
        long slice = (bytes / threads + 63) & ~63L;
        if (threads == 1 || slice < (256 << 10)) {
            MemorySegment.copy(from, offset, half, 0, bytes);
            return;
        }
        if (pool == null) {
            AtomicInteger n = new AtomicInteger();
            pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "clip-cuda-upload-" + n.getAndIncrement());
                t.setDaemon(true);
                return t;
            });
        }
        List<Future<?>> parts = new ArrayList<>();
        for (long at = slice; at < bytes; at += slice) {
            long at0 = at, len = Math.min(slice, bytes - at);
            parts.add(pool.submit(() -> MemorySegment.copy(from, offset + at0, half, at0, len)));
        }
        MemorySegment.copy(from, offset, half, 0, Math.min(slice, bytes)); // the first slice on this thread
        try {
            for (Future<?> f : parts) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceException("interrupted while staging an upload", e);
        } catch (ExecutionException e) {
            throw new DeviceException("staging an upload failed: " + e.getCause(), e.getCause());
        }
    }

    private boolean allocated() {
        if (halves != null) return true;
        if (unavailable) return false;
        MemorySegment[] h = new MemorySegment[2], e = new MemorySegment[2];
        try {
            for (int i = 0; i < 2; i++) {
                h[i] = cu.hostAlloc(HALF_BYTES);
                e[i] = cu.eventCreate();
            }
            halves = h;
            drained = e;
            return true;
        } catch (DeviceException ex) {
            unavailable = true;
            free(h, e);
            LOG.warning("page-locked staging unavailable, uploads use pageable copies: " + ex.getMessage());
            return false;
        }
    }

    private void free(MemorySegment[] h, MemorySegment[] e) {
        for (int i = 0; i < 2; i++) {
            if (h[i] != null) cu.freeHost(h[i]);
            if (e[i] != null) cu.eventDestroy(e[i]);
        }
    }

    /** Frees the page-locked halves and events (after the device has synchronised) and stops the filling threads. */
    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
        if (halves != null) free(halves, drained);
        halves = null;
    }
}
