package io.flinkclip.kernels.device;

/** A block of device memory of {@link #length()} 4-byte elements (float or int), owned by one {@link Device}. */
public interface DeviceBuffer extends AutoCloseable {
    long length();

    /** Frees the device memory; idempotent. */
    @Override
    void close();
}
