package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Conv;

/** Eval-mode BatchNorm2d (running statistics, eps 1e-5): an affine map per channel. */
public final class BatchNorm2d {
    public static final float EPS = 1e-5f;
    public final String name;
    public final int channels;
    public final float[] weight, bias, runningMean, runningVar;

    BatchNorm2d(Params p, String name, int channels) {
        this.name = name;
        this.channels = channels;
        weight = p.get(name + ".weight", channels);
        bias = p.get(name + ".bias", channels);
        runningMean = p.get(name + ".running_mean", channels);
        runningVar = p.get(name + ".running_var", channels);
        for (int i = 0; i < channels; i++) {
            if (runningVar[i] < 0) {
                throw new ClipFormatException("tensor '" + name + ".running_var' holds a negative variance (" + runningVar[i] + ") at index " + i);
            }
        }
    }

    /** In place on x [n, channels, hw], optionally followed by ReLU. */
    void forward(float[] x, int n, int hw, boolean relu) {
        Conv.batchNorm(x, n, channels, hw, runningMean, runningVar, weight, bias, EPS, relu);
    }
}
