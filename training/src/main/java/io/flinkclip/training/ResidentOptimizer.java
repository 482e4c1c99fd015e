package io.flinkclip.training;

import io.flinkclip.model.device.DeviceClipTraining;

/**
 * What a {@link TrainableClip} offers when its tower gradients, parameters and AdamW moments stay on its device between
 * steps (a GPU: {@link DeviceTrainableClip}). {@link ClipTrainer} then clips and updates them there, and parameters
 * and moments cross to the host only when they are read (a checkpoint, a model file), instead of every gradient down
 * and every parameter up each step. logit_scale, its gradient and its moments stay on the host.
 */
public interface ResidentOptimizer {
    /** Σ g² over the resident gradients (every parameter but logit_scale); non-finite when any of them is. */
    double gradientSumOfSquares();

    /** The first resident parameter whose gradient is not finite, or null: names the cause of a refused step. */
    String firstNonFiniteGradient();

    /**
     * One AdamW update of the resident parameters from their gradients times {@code gradScale}, with the step's scalars
     * computed by the host optimiser (see {@link io.flinkclip.kernels.device.Device#adamw}).
     */
    void adamW(float gradScale, float beta1, float beta2, float bc2Sqrt, float stepSize, float eps, DeviceClipTraining.DecayFactor decay);

    /** Copies the resident first and second moments into the host arrays {@code m} and {@code v} give per parameter. */
    void momentsToHost(DeviceClipTraining.HostArrays m, DeviceClipTraining.HostArrays v);

    /** Replaces the resident moments (a restore); a parameter without host arrays (null) starts from zero. */
    void momentsToDevice(DeviceClipTraining.HostArrays m, DeviceClipTraining.HostArrays v);
}
