/**
 * CLIP on a {@link io.flinkclip.kernels.device.Device} (CUDA, OpenCL, or the CPU device for checking), written
 * llm.c style: weights in device buffers uploaded once, every activation a planned region (explicit element
 * offsets, {@code Layout}) of one reused arena, layers as sequences of typed device operations.
 *
 * <ul>
 *   <li>{@link io.flinkclip.model.device.DeviceClipModel}: the inference forward of both towers (ViT or modified
 *       ResNet with attention pooling; causal text transformer with the padding skip and first-EOT pooling).</li>
 *   <li>{@link io.flinkclip.model.device.DeviceClipTraining}: the contrastive training step for ViT models,
 *       gradients under OpenAI's names into one device gradient buffer; {@code trainStep} adds AdamW on the device.</li>
 *   <li>{@link io.flinkclip.model.device.ClipModels}: picks the device encoder or the CPU
 *       {@link io.flinkclip.model.ClipModel} from a {@code clip.device} setting.</li>
 * </ul>
 */
package io.flinkclip.model.device;
