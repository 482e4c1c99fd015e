/**
 * CLIP's forward pass on a {@link io.flinkclip.kernels.device.Device} (CUDA, OpenCL, or the CPU device for
 * checking), written llm.c style: weights in device buffers uploaded once, every activation a planned region
 * (explicit element offsets) of one reused arena, layers as sequences of typed device operations.
 * {@link io.flinkclip.model.device.ClipModels} chooses between it and the CPU {@link io.flinkclip.model.ClipModel}
 * from a {@code clip.device} setting.
 */
package io.flinkclip.model.device;
