package io.flinkclip.tasks.probe;

import io.flinkclip.kernels.Parallel;

/**
 * sklearn's multinomial logistic-regression objective: C · Σᵢ cross-entropy(W·xᵢ + b, yᵢ) + ½‖W‖²
 * (the bias is not regularised). Parameters are laid out as W (classes × dim, row-major) followed by b.
 * Computed in double; per-sample terms are summed in a fixed order so results are reproducible.
 */
public final class SoftmaxObjective implements DifferentiableFunction {
    private final FeatureMatrix data;
    private final double c;

    public SoftmaxObjective(FeatureMatrix data, double c) {
        if (!(c > 0) || Double.isInfinite(c)) throw new IllegalArgumentException("C must be positive and finite, got " + c);
        this.data = data;
        this.c = c;
    }

    /** w[wo..wo+d) · x[xo..xo+d) with four independent accumulators (lets the CPU pipeline the adds). */
    private static double dot(double[] w, int wo, float[] x, int xo, int d) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < d; j += 4) {
            s0 += w[wo + j] * x[xo + j];
            s1 += w[wo + j + 1] * x[xo + j + 1];
            s2 += w[wo + j + 2] * x[xo + j + 2];
            s3 += w[wo + j + 3] * x[xo + j + 3];
        }
        for (; j < d; j++) s0 += w[wo + j] * x[xo + j];
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public int dimension() { return data.classes * (data.dim + 1); }

    @Override
    public double valueAndGradient(double[] theta, double[] grad) {
        int n = data.rows, d = data.dim, k = data.classes, bOff = k * d;
        double[] residual = new double[n * k]; // pᵢₖ − 1[yᵢ = k]
        double[] loss = new double[n];
        Parallel.forEach(n, 64, i -> {
            int xo = i * d, ro = i * k;
            double max = Double.NEGATIVE_INFINITY;
            for (int cls = 0; cls < k; cls++) {
                double z = theta[bOff + cls] + dot(theta, cls * d, data.x, xo, d);
                residual[ro + cls] = z;
                max = Math.max(max, z);
            }
            double sum = 0;
            for (int cls = 0; cls < k; cls++) sum += Math.exp(residual[ro + cls] - max);
            double logZ = max + Math.log(sum);
            int y = data.labels[i];
            loss[i] = logZ - residual[ro + y];
            for (int cls = 0; cls < k; cls++) residual[ro + cls] = Math.exp(residual[ro + cls] - logZ);
            residual[ro + y] -= 1;
        });
        double value = 0;
        for (double l : loss) value += l;
        value *= c;
        double reg = 0;
        for (int i = 0; i < bOff; i++) reg += theta[i] * theta[i];
        value += 0.5 * reg;
        Parallel.forEach(k, 1, cls -> {
            int wo = cls * d;
            for (int j = 0; j < d; j++) grad[wo + j] = 0;
            double gb = 0;
            for (int i = 0; i < n; i++) {
                double r = residual[i * k + cls];
                if (r == 0) continue;
                gb += r;
                int xo = i * d;
                for (int j = 0; j < d; j++) grad[wo + j] += r * data.x[xo + j];
            }
            for (int j = 0; j < d; j++) grad[wo + j] = c * grad[wo + j] + theta[wo + j];
            grad[bOff + cls] = c * gb;
        });
        return value;
    }
}
