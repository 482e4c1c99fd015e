package io.flinkclip.kernels.device;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The one kernel source, with the prelude of the dialect a backend compiles. */
final class KernelSource {
    private KernelSource() {}

    static String openCl() { return resource("prelude_opencl.h") + "\n" + resource("clip_kernels.h"); }

    static String resource(String name) {
        return new String(bytes(name), StandardCharsets.UTF_8);
    }

    static byte[] bytes(String name) {
        try (InputStream in = KernelSource.class.getResourceAsStream(name)) {
            if (in == null) throw new DeviceException("kernel resource " + name + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
