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
 * Host-to-device copies of Java arrays through a ring of {@link #SLOTS} page-locked slots of {@link #SLOT_BYTES}: the host
 * fills one slot while the DMA engine moves the ones before it ({@code cuMemcpyHtoDAsync} on the default stream; an event
 * per slot says when it may be refilled). The ring lets the host stage up to 64 MB while the device is still busy with
 * earlier work (the next pass of a pipelined batch: {@code DeviceClipModel}). On an H100 host a pageable copy from a Java array ran at 8.5 GB/s and a page-locked one at
 * 52 GB/s, but one thread filled page-locked memory at only ~9 GB/s (a copy out of DRAM), so each slot is filled by
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
    static final long SLOT_BYTES = 16 << 20;
    static final int SLOTS = 4;
    private final CudaDriver cu;
    private final int threads = Integer.getInteger("clip.cuda.uploadThreads",
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)));
    private MemorySegment[] slots;
    /** Recorded after the DMA that reads the matching slot. */
    private MemorySegment[] drained;
    private int next;
    private boolean unavailable;
    private ExecutorService pool;

    StagedUploads(CudaDriver cu) { this.cu = cu; }

    /** Enqueues the copy of {@code bytes} of {@code src} from element {@code srcOff} to device address {@code to}. */
    boolean copy(long to, float[] src, int srcOff, long bytes) {
        if (!allocated()) return false;
        MemorySegment from = MemorySegment.ofArray(src).asSlice(srcOff * 4L, bytes);
        for (long done = 0; done < bytes; done += SLOT_BYTES) {
            long piece = Math.min(SLOT_BYTES, bytes - done);
            int h = next;
            next = (next + 1) % SLOTS;
            cu.eventSynchronize(drained[h]);
            fill(slots[h], from, done, piece);
            cu.copyToDeviceAsync(to + done, slots[h], piece);
            cu.eventRecord(drained[h]);
        }
        return true;
    }

    /** Copies {@code bytes} of {@code from} at {@code offset} into {@code slot}, in slices of whole cache lines. */
    private void fill(MemorySegment slot, MemorySegment from, long offset, long bytes) {
        long slice = (bytes / threads + 63) & ~63L;
        if (threads == 1 || slice < (256 << 10)) {
            MemorySegment.copy(from, offset, slot, 0, bytes);
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
            parts.add(pool.submit(() -> MemorySegment.copy(from, offset + at0, slot, at0, len)));
        }
        MemorySegment.copy(from, offset, slot, 0, Math.min(slice, bytes)); // the first slice on this thread
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
        if (slots != null) return true;
        if (unavailable) return false;
        MemorySegment[] h = new MemorySegment[SLOTS], e = new MemorySegment[SLOTS];
        try {
            for (int i = 0; i < SLOTS; i++) {
                h[i] = cu.hostAlloc(SLOT_BYTES);
                e[i] = cu.eventCreate();
            }
            slots = h;
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
        for (int i = 0; i < SLOTS; i++) {
            if (h[i] != null) cu.freeHost(h[i]);
            if (e[i] != null) cu.eventDestroy(e[i]);
        }
    }

    /** Frees the page-locked slots and events (after the device has synchronised) and stops the filling threads. */
    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
        if (slots != null) free(slots, drained);
        slots = null;
    }
}
