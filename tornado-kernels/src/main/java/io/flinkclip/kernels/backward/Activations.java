package io.flinkclip.kernels.backward;

/** Backward of the point-wise layers; each adds into dx (dx may alias dy only if dx holds nothing else). */
public final class Activations {
    private Activations() {}

    /** QuickGELU y = x·σ(1.702x): dy/dx = σ + 1.702·x·σ·(1 − σ), evaluated at the saved <b>input</b> x. */
    public static void quickGeluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n, boolean accumulate) {
        for (int i = 0; i < n; i++) {
            double v = x[xOff + i];
            double s = 1.0 / (1.0 + Math.exp(-1.702 * v));
            float g = (float) (dy[dyOff + i] * (s + 1.702 * v * s * (1 - s)));
            dx[dxOff + i] = accumulate ? dx[dxOff + i] + g : g;
        }
    }

    /** ReLU, from either its input or output (both are positive exactly where the gradient passes). */
    public static void reluBackward(float[] xOrY, int off, float[] dy, int dyOff, float[] dx, int dxOff, int n, boolean accumulate) {
        for (int i = 0; i < n; i++) {
            float g = xOrY[off + i] > 0 ? dy[dyOff + i] : 0f;
            dx[dxOff + i] = accumulate ? dx[dxOff + i] + g : g;
        }
    }

    /** Residual y = x + f(x): the gradient of the skip path, dx += dy (the branch receives dy unchanged). */
    public static void residualBackward(float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        for (int i = 0; i < n; i++) dx[dxOff + i] += dy[dyOff + i];
    }
}
