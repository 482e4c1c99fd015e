package io.flinkclip.model.device;

import io.flinkclip.io.StateDict;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model's weights on the device, one buffer per OpenAI-named tensor, uploaded once when a layer first asks
 * for it (all layers ask at construction). Shapes were validated by {@code ClipModel.fromStateDict} before.
 */
final class DeviceWeights implements AutoCloseable {
    private final Device device;
    private final StateDict sd;
    private final Map<String, DeviceBuffer> uploaded = new LinkedHashMap<>();
    private long elements;

    DeviceWeights(Device device, StateDict sd) {
        this.device = device;
        this.sd = sd;
    }

    DeviceBuffer get(String name) {
        DeviceBuffer b = uploaded.get(name);
        if (b == null) {
            float[] data = sd.get(name).data();
            b = device.upload(data);
            uploaded.put(name, b);
            elements += data.length;
        }
        return b;
    }

    /** Floats held on the device. */
    long elements() { return elements; }

    int tensors() { return uploaded.size(); }

    @Override
    public void close() {
        uploaded.values().forEach(DeviceBuffer::close);
        uploaded.clear();
    }
}
