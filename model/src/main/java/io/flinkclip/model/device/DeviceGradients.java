package io.flinkclip.model.device;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;
import io.flinkclip.model.nn.Gradients;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameter gradients on the device: one flat buffer with a region per OpenAI-named parameter (llm.c's
 * grads_memory), zeroed per step, downloaded once at the end of the backward pass.
 */
final class DeviceGradients implements AutoCloseable {
    private final Device device;
    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    private final Map<String, Integer> offsets = new LinkedHashMap<>();
    private final DeviceBuffer buffer;
    private final long size;

    DeviceGradients(Device device, StateDict sd, Iterable<String> names) {
        this.device = device;
        Layout l = new Layout();
        for (String name : names) {
            Tensor t = sd.get(name);
            shapes.put(name, t.shape());
            offsets.put(name, l.take(t.numel()));
        }
        size = l.size();
        buffer = device.allocate(size);
    }

    DeviceBuffer buffer() { return buffer; }

    int offset(String name) {
        Integer o = offsets.get(name);
        if (o == null) throw new IllegalStateException("no gradient region for " + name);
        return o;
    }

    /** Parameter names in region order, with their shapes. */
    Map<String, int[]> shapes() { return java.util.Collections.unmodifiableMap(shapes); }

    long size() { return size; }

    void zero() { device.fill((int) size, 0f, buffer, 0); }

    /** Downloads every region (one transfer) and adds it into {@code g} under its parameter name. */
    void addTo(Gradients g) {
        float[] all = new float[(int) size];
        device.download(buffer, 0, all, 0, all.length);
        offsets.forEach((name, off) -> g.add(name, shapes.get(name), Arrays.copyOfRange(all, off, off + numel(name))));
    }

    /**
     * Adds (+=) the regions whose names pass {@code which} into the host arrays {@code into} maps them to, one download per
     * region through {@code scratch} (at least {@link #largestRegion} floats): no per-call arrays, and only the regions a
     * backward pass wrote (one tower's, for a host trainer's per-tower backward).
     */
    void addInto(Map<String, float[]> into, java.util.function.Predicate<String> which, float[] scratch) {
        offsets.forEach((name, off) -> {
            if (!which.test(name)) return;
            float[] dst = into.get(name);
            int n = numel(name);
            if (dst == null || dst.length != n) {
                throw new IllegalStateException("the device produced a gradient for '" + name + "', which has no host gradient of " + n + " values");
            }
            device.download(buffer, off, scratch, 0, n);
            io.flinkclip.kernels.OptimizerKernels.addInto(dst, scratch, n);
        });
    }

    int largestRegion() {
        return shapes.keySet().stream().mapToInt(this::numel).max().orElse(0);
    }

    /** Elements of parameter {@code name}'s region. */
    int numel(String name) { return Arrays.stream(shapes.get(name)).reduce(1, Math::multiplyExact); }

    @Override
    public void close() { buffer.close(); }
}
