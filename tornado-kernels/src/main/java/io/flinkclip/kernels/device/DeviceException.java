package io.flinkclip.kernels.device;

/** A device that cannot be opened or used: missing driver or library, failed launch, out of device memory. */
public class DeviceException extends RuntimeException {
    public DeviceException(String message) { super(message); }
    public DeviceException(String message, Throwable cause) { super(message, cause); }
}
