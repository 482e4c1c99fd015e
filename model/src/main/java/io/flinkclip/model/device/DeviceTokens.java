package io.flinkclip.model.device;

import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/**
 * The device copies of a token batch — token ids and the row each sequence is pooled at — in buffers that grow only
 * when a batch needs more (at least {@code minElements} each, so a model sized for its largest batch allocates once).
 */
final class DeviceTokens implements AutoCloseable {
    private final Device device;
    private final int minElements;
    private DeviceBuffer ids, poolRows;

    DeviceTokens(Device device, int minElements) {
        this.device = device;
        this.minElements = minElements;
    }

    /** Writes the first {@code m} sequences of {@code batch} to the device. */
    void upload(Inputs.TokenBatch batch, int m) {
        ids = grow(ids, batch.ids().length);
        poolRows = grow(poolRows, m);
        device.write(ids, 0, batch.ids(), 0, batch.ids().length);
        device.write(poolRows, 0, batch.poolRows(), 0, m);
    }

    DeviceBuffer ids() { return ids; }

    DeviceBuffer poolRows() { return poolRows; }

    private DeviceBuffer grow(DeviceBuffer b, int elements) {
        if (b != null && b.length() >= elements) return b;
        if (b != null) b.close();
        return device.allocate(Math.max(elements, minElements));
    }

    @Override
    public void close() {
        if (ids != null) ids.close();
        if (poolRows != null) poolRows.close();
    }
}
