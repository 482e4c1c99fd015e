package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.backward.BatchNormBackward;

/**
 * BatchNorm2d (eps 1e-5). Eval mode is an affine map per channel from the running statistics (inference and the
 * reference gradients); train mode normalises with the batch's statistics and, when asked, updates the running
 * ones as PyTorch does (momentum 0.1, unbiased variance).
 */
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

    /**
     * Eval mode ({@code batchStats} false, returns null) or train mode (returns the batch statistics, updating the
     * running ones when {@code updateRunning}).
     */
    BatchStats forward(float[] x, int n, int hw, boolean relu, boolean batchStats, boolean updateRunning) {
        if (!batchStats) {
            forward(x, n, hw, relu);
            return null;
        }
        return forwardTrain(x, n, hw, relu, updateRunning);
    }

    /** The batch statistics a train-mode forward normalised with: mean and 1/√(var + eps) per channel. */
    record BatchStats(float[] mean, float[] rstd) {}

    /**
     * Train mode, in place on x [n, channels, hw] (then ReLU if asked): normalises with the batch statistics and,
     * with {@code updateRunning}, folds them into the running statistics (a pass that only embeds, such as
     * GradCache's first one, must not count the batch twice).
     */
    BatchStats forwardTrain(float[] x, int n, int hw, boolean relu, boolean updateRunning) {
        float[] mean = new float[channels], rstd = new float[channels];
        float[] runMean = updateRunning ? runningMean : runningMean.clone(), runVar = updateRunning ? runningVar : runningVar.clone();
        BatchNormBackward.trainForward(x, n, channels, hw, weight, bias, EPS, runMean, runVar, mean, rstd, x);
        if (relu) Ops.relu(x, 0, n * channels * hw);
        return new BatchStats(mean, rstd);
    }
}
