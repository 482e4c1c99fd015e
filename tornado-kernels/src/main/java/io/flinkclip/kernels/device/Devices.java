package io.flinkclip.kernels.device;

import java.util.logging.Logger;

/**
 * Opens a device from the {@code clip.device} setting: {@code cpu}, {@code cuda[:N]}, {@code opencl[:P:D]}
 * or {@code auto} (CUDA, then OpenCL GPUs, then the CPU; each failure is logged with its reason).
 * An explicitly requested device that cannot be opened is an error with one clear message.
 */
public final class Devices {
    private static final Logger LOG = Logger.getLogger(Devices.class.getName());

    private Devices() {}

    public static Device open(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        String[] parts = s.split(":");
        return switch (parts[0]) {
            case "cpu" -> new CpuDevice();
            case "cuda" -> CudaDevice.open(parts.length > 1 ? index(parts[1], spec) : 0);
            case "opencl" -> OpenClDevice.open(parts.length > 1 ? index(parts[1], spec) : 0, parts.length > 2 ? index(parts[2], spec) : 0);
            case "auto" -> auto();
            default -> throw new DeviceException("unknown clip.device '" + spec + "': use cpu, cuda[:N], opencl[:platform:device] or auto");
        };
    }

    private static Device auto() {
        try {
            return CudaDevice.open(0);
        } catch (DeviceException | LinkageError e) {
            LOG.info("clip.device=auto: CUDA unavailable (" + e.getMessage() + ")");
        }
        if (Boolean.getBoolean("clip.device.auto.opencl")) {
            try {
                return OpenClDevice.open(0, 0);
            } catch (DeviceException | LinkageError e) {
                LOG.info("clip.device=auto: OpenCL unavailable (" + e.getMessage() + ")");
            }
        }
        LOG.info("clip.device=auto: falling back to the CPU");
        return new CpuDevice();
    }

    private static int index(String s, String spec) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new DeviceException("bad device index '" + s + "' in clip.device '" + spec + "'");
        }
    }
}
