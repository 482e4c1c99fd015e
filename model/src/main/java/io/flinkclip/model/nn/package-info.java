/**
 * CLIP's networks as OpenAI's {@code clip/model.py} defines them, forward and backward, over flat row-major
 * float32 buffers and the kernels of {@code io.flinkclip.kernels}.
 *
 * <ul>
 *   <li>Layers hold the state dict's own float arrays (validated by {@link io.flinkclip.model.nn.Params}),
 *       so in-place optimiser updates are seen by the model.</li>
 *   <li>Activations are batch-first ([n, tokens, width], NCHW for convolutions) and come from a per-call
 *       {@link io.flinkclip.model.nn.Arena}; at inference all transformer blocks share one set of scratch
 *       buffers, in training every layer keeps its own for the backward pass.</li>
 *   <li>Inference builds ({@link io.flinkclip.model.nn.Params#inference()}, from {@code ClipModel.forInference})
 *       instead pack every Linear/convolution weight once for {@code Gemm.packed} (bias, QuickGELU, ReLU and
 *       the residual add fused into the GEMM store), fuse eval BatchNorm into the convolutions
 *       ({@link io.flinkclip.model.nn.FusedConv}: a per-channel scale applied to 16-bit weights as they are
 *       widened, or folded into fp32 ones), run the ResNet channels-last, and release each consumed tensor from
 *       the state dict; they have no backward pass. Where only one output row per item is read they compute
 *       only that: the ResNet's attention pool scores and averages its input tokens instead of projecting them
 *       ({@link io.flinkclip.model.nn.AttentionPool2d}), and every encoder's last transformer block runs its
 *       attention, out_proj and MLP on the class or EOT token alone.</li>
 *   <li>{@link io.flinkclip.model.nn.Trace} captures activations under the reference's module names.</li>
 *   <li>Backward passes ({@link io.flinkclip.model.nn.ClipBackward}) are eval mode: BatchNorm uses running
 *       statistics, as the reference gradients were computed.</li>
 * </ul>
 */
package io.flinkclip.model.nn;
