package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Parallel;

/**
 * BatchNorm2d over NCHW (hw = H·W) for training. Eval mode uses the running statistics (what the reference gradients
 * use); train mode normalises with the batch statistics and updates the running ones like PyTorch: momentum 0.1,
 * running_var from the <b>unbiased</b> batch variance, normalisation with the biased one. A trailing ReLU is not
 * fused here: apply {@link Activations#reluBackward} to the BatchNorm output first.
 */
public final class BatchNormBackward {
    public static final float MOMENTUM = 0.1f;

    private BatchNormBackward() {}

    /** Eval mode: y = (x − μ_run)·γ/√(σ²_run + eps) + β. Accumulates dx (nullable), dγ, dβ. */
    public static void evalBackward(float[] x, float[] dy, int n, int c, int hw, float[] runMean, float[] runVar,
                                    float[] gamma, float eps, float[] dx, float[] dGamma, float[] dBeta) {
        Parallel.forEach(c, 1, ch -> {
            double rs = 1.0 / Math.sqrt(runVar[ch] + eps);
            double sg = 0, sgx = 0;
            for (int b = 0; b < n; b++) {
                int o = (b * c + ch) * hw;
                for (int i = o; i < o + hw; i++) {
                    sg += dy[i];
                    sgx += dy[i] * (x[i] - runMean[ch]) * rs;
                    if (dx != null) dx[i] += (float) (dy[i] * gamma[ch] * rs);
                }
            }
            dGamma[ch] += (float) sgx;
            dBeta[ch] += (float) sg;
        });
    }

    /**
     * Train-mode forward: y = (x − μ_B)/√(σ²_B + eps)·γ + β with batch mean μ_B and biased variance σ²_B per channel
     * (saved into saveMean / saveRstd for the backward); runMean/runVar are updated in place with momentum 0.1 and the
     * unbiased variance (count n·hw must be ≥ 2). Bumping num_batches_tracked is the caller's job.
     */
    public static void trainForward(float[] x, int n, int c, int hw, float[] gamma, float[] beta, float eps,
                                    float[] runMean, float[] runVar, float[] saveMean, float[] saveRstd, float[] y) {
        long count = (long) n * hw;
        if (count < 2) throw new IllegalArgumentException("train-mode BatchNorm needs more than one value per channel, got " + count);
        Parallel.forEach(c, 1, ch -> {
            double m = 0;
            for (int b = 0; b < n; b++) for (int i = (b * c + ch) * hw, e = i + hw; i < e; i++) m += x[i];
            m /= count;
            double ss = 0;
            for (int b = 0; b < n; b++) for (int i = (b * c + ch) * hw, e = i + hw; i < e; i++) { double d = x[i] - m; ss += d * d; }
            double varB = ss / count;
            double rs = 1.0 / Math.sqrt(varB + eps);
            saveMean[ch] = (float) m;
            saveRstd[ch] = (float) rs;
            for (int b = 0; b < n; b++) for (int i = (b * c + ch) * hw, e = i + hw; i < e; i++) {
                y[i] = (float) ((x[i] - m) * rs * gamma[ch] + beta[ch]);
            }
            runMean[ch] = (float) ((1 - MOMENTUM) * runMean[ch] + MOMENTUM * m);
            runVar[ch] = (float) ((1 - MOMENTUM) * runVar[ch] + MOMENTUM * ss / (count - 1));
        });
    }

    /** Train-mode backward: dx += γ·rstd·(dy − mean(dy) − x̂·mean(dy·x̂)); dγ += Σ dy·x̂; dβ += Σ dy. */
    public static void trainBackward(float[] x, float[] dy, int n, int c, int hw, float[] gamma, float[] saveMean,
                                     float[] saveRstd, float[] dx, float[] dGamma, float[] dBeta) {
        long count = (long) n * hw;
        Parallel.forEach(c, 1, ch -> {
            double m = saveMean[ch], rs = saveRstd[ch];
            double sg = 0, sgx = 0;
            for (int b = 0; b < n; b++) for (int i = (b * c + ch) * hw, e = i + hw; i < e; i++) {
                sg += dy[i];
                sgx += dy[i] * (x[i] - m) * rs;
            }
            dGamma[ch] += (float) sgx;
            dBeta[ch] += (float) sg;
            if (dx == null) return;
            double mg = sg / count, mgx = sgx / count;
            for (int b = 0; b < n; b++) for (int i = (b * c + ch) * hw, e = i + hw; i < e; i++) {
                double xhat = (x[i] - m) * rs;
                dx[i] += (float) (gamma[ch] * rs * (dy[i] - mg - xhat * mgx));
            }
        });
    }
}
