package io.flinkclip.kernels.backward;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference check of analytic gradients. The scalar under test is L = Σ w·y (w fixed random), the forward
 * runs in float, L is summed in double; for random directions u the central difference (L(x+εu) − L(x−εu))/2ε is
 * (Richardson-extrapolated) compared with Σ ⟨g, u⟩, per input and for all inputs together.
 */
final class GradCheck {
    interface Loss { double at(float[][] inputs); }

    private GradCheck() {}

    static float[] random(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static double dot(float[] w, float[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) w[i] * y[i];
        return s;
    }

    static void check(String what, float[][] inputs, float[][] grads, Loss loss, double eps, double tol) {
        Random r = new Random(what.hashCode());
        for (int c = 0; c <= inputs.length; c++) {
            int only = c < inputs.length ? c : -1;   // each input alone, then all together
            if (only >= 0 && grads[only] == null) continue;
            for (int rep = 0; rep < 2; rep++) {
                float[][] u = new float[inputs.length][];
                double analytic = 0;
                for (int i = 0; i < inputs.length; i++) {
                    u[i] = new float[inputs[i].length];
                    if (grads[i] == null || (only >= 0 && i != only)) continue;
                    u[i] = random(r, inputs[i].length, 1);
                    analytic += dot(grads[i], u[i]);
                }
                // Richardson extrapolation of two central differences cancels the O(ε²) truncation term.
                double d1 = central(loss, inputs, u, eps), d2 = central(loss, inputs, u, eps / 2);
                double numeric = (4 * d2 - d1) / 3;
                double err = Math.abs(analytic - numeric) / Math.max(Math.max(Math.abs(analytic), Math.abs(numeric)), 1e-3);
                assertTrue(err < tol, what + " input " + (only < 0 ? "all" : only) + ": analytic " + analytic
                        + " vs numeric " + numeric + " (relative error " + err + ")");
            }
        }
    }

    private static double central(Loss loss, float[][] x, float[][] u, double eps) {
        return (loss.at(shift(x, u, eps)) - loss.at(shift(x, u, -eps))) / (2 * eps);
    }

    private static float[][] shift(float[][] x, float[][] u, double eps) {
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i].clone();
            for (int j = 0; j < y[i].length; j++) y[i][j] = (float) (x[i][j] + eps * u[i][j]);
        }
        return y;
    }
}
