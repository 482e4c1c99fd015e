package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Parallel;

/**
 * LayerNorm for training: the forward stores per-row mean and reciprocal standard deviation, which the backward
 * needs; numerically the forward matches {@link io.flinkclip.kernels.Ops#layerNorm}.
 */
public final class LayerNormTrain {
    private LayerNormTrain() {}

    /** As {@code Ops.layerNorm}, additionally writing mean[r] and rstd[r] = 1/sqrt(var + eps) (rows starting at statOff). */
    public static void forward(float[] x, int xOff, float[] gamma, float[] beta, float[] y, int yOff,
                               float[] mean, float[] rstd, int statOff, int rows, int dim, float eps) {
        Spans.positive("layer norm", rows, dim);
        Spans.check(x, xOff, (long) rows * dim, "x");
        Spans.check(y, yOff, (long) rows * dim, "y");
        Spans.check(gamma, 0, dim, "gamma");
        Spans.check(beta, 0, dim, "beta");
        Spans.check(mean, statOff, rows, "mean");
        Spans.check(rstd, statOff, rows, "rstd");
        Parallel.forEach(rows, 8, r -> {
            int xo = xOff + r * dim, yo = yOff + r * dim;
            double m = 0;
            for (int i = 0; i < dim; i++) m += x[xo + i];
            m /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) { double d = x[xo + i] - m; var += d * d; }
            var /= dim;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            float mu = (float) m;
            mean[statOff + r] = mu;
            rstd[statOff + r] = inv;
            for (int i = 0; i < dim; i++) y[yo + i] = (x[xo + i] - mu) * inv * gamma[i] + beta[i];
        });
    }

    /**
     * dx += rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ; dγ += Σ dy·x̂, dβ += Σ dy.
     * dgamma/dbeta are reduced serially over rows (they are shared by all rows).
     */
    public static void backward(float[] dy, int dyOff, float[] x, int xOff, float[] mean, float[] rstd, int statOff,
                                float[] gamma, float[] dx, int dxOff, float[] dgamma, float[] dbeta, int rows, int dim) {
        Spans.positive("layer norm backward", rows, dim);
        Spans.check(dy, dyOff, (long) rows * dim, "dy");
        Spans.check(x, xOff, (long) rows * dim, "x");
        Spans.check(dx, dxOff, (long) rows * dim, "dx");
        Spans.check(mean, statOff, rows, "mean");
        Spans.check(rstd, statOff, rows, "rstd");
        Spans.check(gamma, 0, dim, "gamma");
        Spans.check(dgamma, 0, dim, "dGamma");
        Spans.check(dbeta, 0, dim, "dBeta");
        Parallel.forEach(rows, 8, r -> {
            int xo = xOff + r * dim, go = dyOff + r * dim, dxo = dxOff + r * dim;
            float mu = mean[statOff + r], rs = rstd[statOff + r];
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < dim; i++) {
                double g = dy[go + i] * gamma[i];
                sumG += g;
                sumGx += g * (x[xo + i] - mu) * rs;
            }
            double mG = sumG / dim, mGx = sumGx / dim;
            for (int i = 0; i < dim; i++) {
                double xhat = (x[xo + i] - mu) * rs;
                double g = dy[go + i] * gamma[i];
                dx[dxo + i] += (float) (rs * (g - mG - xhat * mGx));
            }
        });
        double[] dg = new double[dim], db = new double[dim];
        for (int r = 0; r < rows; r++) {
            int xo = xOff + r * dim, go = dyOff + r * dim;
            float mu = mean[statOff + r], rs = rstd[statOff + r];
            for (int i = 0; i < dim; i++) {
                dg[i] += (double) dy[go + i] * (x[xo + i] - mu) * rs;
                db[i] += dy[go + i];
            }
        }
        for (int i = 0; i < dim; i++) { dgamma[i] += (float) dg[i]; dbeta[i] += (float) db[i]; }
    }
}
