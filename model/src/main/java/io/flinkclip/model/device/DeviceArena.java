package io.flinkclip.model.device;

import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/**
 * One device buffer reused across calls: allocated at the size the first batch needs and replaced by a larger
 * one only when a later batch needs more (contents are not preserved: every forward pass rewrites what it reads).
 */
final class DeviceArena implements AutoCloseable {
    private final Device device;
    private DeviceBuffer buffer;

    DeviceArena(Device device) { this.device = device; }

    DeviceBuffer ensure(long elements) {
        long want = Math.max(1, elements);
        if (buffer == null || buffer.length() < want) {
            if (buffer != null) buffer.close();
            buffer = null;
            buffer = device.allocate(want);
        }
        return buffer;
    }

    /** Elements currently held on the device (0 before the first call). */
    long capacity() { return buffer == null ? 0 : buffer.length(); }

    @Override
    public void close() {
        if (buffer != null) buffer.close();
        buffer = null;
    }
}
