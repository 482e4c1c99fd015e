package io.flinkclip.model.device;

import io.flinkclip.kernels.device.DeviceBuffer;

/** An image tower on a device. Its arena layout puts the n input images (NCHW) at offset 0. */
interface DeviceImageTower {
    /** Arena elements a forward pass over {@code n} images needs. */
    long arenaSize(int n);

    /** Runs the tower over the images at offset 0 of {@code arena}; returns the offset of the [n, embedDim] features. */
    int forward(DeviceBuffer arena, int n);
}
