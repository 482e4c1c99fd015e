package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;

/**
 * Products of a few query rows with one item's token rows, in place (no packing): the attention pool's per-head
 * scores q_h·x_s and its weighted token sums Σ_s p_hs·x_s. Through {@link Gemm} these packed the 50×2048 token
 * matrix twice per image and ran at ≈ 40 GFLOP/s (RN50, batch 1: 0.33 ms of a 37 ms pass). Rows are taken four at a
 * time so one load of a token vector feeds four FMA chains. Each output depends only on its own rows and is summed
 * in a fixed order (per lane, then the lanes in order), so results do not depend on the batch or the task split.
 */
public final class RowProducts {
    private RowProducts() {}

    /**
     * out[outOff + i·tokens + s] = Σ_c q[qOff + i·width + c] · x[xOff + s·width + c] for i < rows, s < tokens.
     */
    public static void dots(float[] q, int qOff, int rows, float[] x, int xOff, int tokens, int width, float[] out, int outOff) {
        check(q, qOff, (long) rows * width, x, xOff, tokens, width, out, outOff, (long) rows * tokens);
        float[] lanes = new float[4 * VL];
        int vec = S.loopBound(width);
        for (int i = 0; i < rows; i += 4) {
            int r = Math.min(4, rows - i);
            // Missing rows of a short group repeat the last real one; their sums are not stored.
            int q0 = qOff + i * width, q1 = q0 + Math.min(1, r - 1) * width, q2 = q0 + Math.min(2, r - 1) * width, q3 = q0 + (r - 1) * width;
            for (int s = 0; s < tokens; s++) {
                int xo = xOff + s * width;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int c = 0; c < vec; c += VL) {
                    FloatVector xv = FloatVector.fromArray(S, x, xo + c);
                    a0 = FloatVector.fromArray(S, q, q0 + c).fma(xv, a0);
                    a1 = FloatVector.fromArray(S, q, q1 + c).fma(xv, a1);
                    a2 = FloatVector.fromArray(S, q, q2 + c).fma(xv, a2);
                    a3 = FloatVector.fromArray(S, q, q3 + c).fma(xv, a3);
                }
                a0.intoArray(lanes, 0);
                a1.intoArray(lanes, VL);
                a2.intoArray(lanes, 2 * VL);
                a3.intoArray(lanes, 3 * VL);
                for (int j = 0; j < r; j++) {
                    float sum = sumLanes(lanes, j * VL);
                    for (int c = vec, qo = q0 + j * width; c < width; c++) sum += q[qo + c] * x[xo + c];
                    out[outOff + (i + j) * tokens + s] = sum;
                }
            }
        }
    }

    /**
     * out[outOff + i·width + c] = Σ_s p[pOff + i·tokens + s] · x[xOff + s·width + c] (s ascending) for i < rows.
     */
    public static void weightedSums(float[] p, int pOff, int rows, float[] x, int xOff, int tokens, int width, float[] out, int outOff) {
        check(p, pOff, (long) rows * tokens, x, xOff, tokens, width, out, outOff, (long) rows * width);
        int vec = S.loopBound(width);
        for (int i = 0; i < rows; i++) {
            for (int c = vec; c < width; c++) {
                float sum = 0f;
                for (int s = 0; s < tokens; s++) sum = Math.fma(p[pOff + i * tokens + s], x[xOff + s * width + c], sum);
                out[outOff + i * width + c] = sum;
            }
        }
        for (int i = 0; i < rows; i += 4) {
            int r = Math.min(4, rows - i);
            int p0 = pOff + i * tokens, p1 = p0 + Math.min(1, r - 1) * tokens, p2 = p0 + Math.min(2, r - 1) * tokens, p3 = p0 + (r - 1) * tokens;
            for (int c = 0; c < vec; c += VL) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int s = 0; s < tokens; s++) {
                    FloatVector xv = FloatVector.fromArray(S, x, xOff + s * width + c);
                    a0 = FloatVector.broadcast(S, p[p0 + s]).fma(xv, a0);
                    a1 = FloatVector.broadcast(S, p[p1 + s]).fma(xv, a1);
                    a2 = FloatVector.broadcast(S, p[p2 + s]).fma(xv, a2);
                    a3 = FloatVector.broadcast(S, p[p3 + s]).fma(xv, a3);
                }
                int o = outOff + i * width + c;
                a0.intoArray(out, o);
                if (r > 1) a1.intoArray(out, o + width);
                if (r > 2) a2.intoArray(out, o + 2 * width);
                if (r > 3) a3.intoArray(out, o + 3 * width);
            }
        }
    }

    /** The lanes of one accumulator added in order (reduceLanes leaves its order to the implementation). */
    private static float sumLanes(float[] lanes, int off) {
        float s = 0f;
        for (int l = 0; l < VL; l++) s += lanes[off + l];
        return s;
    }

    private static void check(float[] rowsArr, int rowsOff, long rowsLen, float[] x, int xOff, int tokens, int width,
                              float[] out, int outOff, long outLen) {
        Checks.dims("tokens", tokens, "width", width);
        Checks.range("rows", rowsArr, rowsOff, rowsLen);
        Checks.range("x", x, xOff, (long) tokens * width);
        Checks.range("out", out, outOff, outLen);
    }
}
