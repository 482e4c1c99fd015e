package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Gemm;

/**
 * Backward of the two matrix-product layouts in CLIP. {@link #linear} is {@code nn.Linear}: y[M,out] = x[M,in]·W[out,in]ᵀ + b;
 * {@link #projection} is the {@code x @ P} form used by {@code text_projection} / {@code visual.proj} with P[in,out].
 * Every gradient is <b>accumulated</b> (added to what the buffer holds), so callers zero them once per step.
 */
public final class LinearBackward {
    private LinearBackward() {}

    /**
     * @param dx may be null when the input needs no gradient (e.g. pixels)
     * @param db may be null for bias-free layers
     */
    public static void linear(float[] dy, int dyOff, float[] x, int xOff, float[] w, int wOff,
                              float[] dx, int dxOff, float[] dw, int dwOff, float[] db, int dbOff,
                              int rows, int in, int out) {
        Spans.positive("linear backward", rows, in, out);
        Spans.check(dy, dyOff, (long) rows * out, "dy");
        Spans.check(x, xOff, (long) rows * in, "x");
        Spans.check(w, wOff, (long) out * in, "weight");
        Spans.check(dw, dwOff, (long) out * in, "dWeight");
        if (dx != null) Spans.check(dx, dxOff, (long) rows * in, "dx");
        if (db != null) Spans.check(db, dbOff, out, "dBias");
        if (dx != null) Gemm.nn(dy, dyOff, w, wOff, dx, dxOff, rows, in, out, true);   // dx += dy·W
        Gemm.tn(dy, dyOff, x, xOff, dw, dwOff, out, in, rows, true);                   // dW += dyᵀ·x
        if (db != null) biasGrad(dy, dyOff, db, dbOff, rows, out);
    }

    /** y[M,out] = x[M,in]·P[in,out]: dx += dy·Pᵀ, dP += xᵀ·dy. */
    public static void projection(float[] dy, int dyOff, float[] x, int xOff, float[] p, int pOff,
                                  float[] dx, int dxOff, float[] dp, int dpOff, int rows, int in, int out) {
        Spans.positive("projection backward", rows, in, out);
        Spans.check(dy, dyOff, (long) rows * out, "dy");
        Spans.check(x, xOff, (long) rows * in, "x");
        Spans.check(p, pOff, (long) in * out, "projection");
        Spans.check(dp, dpOff, (long) in * out, "dProjection");
        if (dx != null) Spans.check(dx, dxOff, (long) rows * in, "dx");
        if (dx != null) Gemm.nt(dy, dyOff, p, pOff, null, dx, dxOff, rows, in, out, true);
        Gemm.tn(x, xOff, dy, dyOff, dp, dpOff, in, out, rows, true);
    }

    /** db[j] += Σ_r dy[r,j], summed in double so long batches do not lose low bits. */
    public static void biasGrad(float[] dy, int dyOff, float[] db, int dbOff, int rows, int cols) {
        double[] s = new double[cols];
        for (int r = 0; r < rows; r++) {
            int o = dyOff + r * cols;
            for (int j = 0; j < cols; j++) s[j] += dy[o + j];
        }
        for (int j = 0; j < cols; j++) db[dbOff + j] += (float) s[j];
    }
}
