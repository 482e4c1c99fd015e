package io.flinkclip.kernels;

import static io.flinkclip.kernels.MicroKernel.S;
import static io.flinkclip.kernels.MicroKernel.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Element-wise and row-wise layers of CLIP over flat buffers (forward). Shapes are passed explicitly;
 * offsets let callers address slices of a shared activation arena without copies. Vectorised with the
 * Vector API; exp is {@link VectorMath#exp} (~1 ulp, bit-identical whether interpreted or compiled).
 *
 * <p>Loop-carried vectors are passed as the argument, never used as the receiver: {@code acc = v.add(acc)}, not
 * {@code acc = acc.add(v)}. A vector op is a virtual call that C2 inlines (and turns into an intrinsic) only once it
 * knows the receiver's exact class; for a loop phi that class comes from the receiver's own previous result, and
 * when the call site's type profile is missing C2 compiles {@code FloatVector::lanewise} as a "virtual call" and
 * boxes every vector (seen in 3 of 55 JVMs running {@link Attention}: 3.7 instead of 2.3 ms per call). A freshly
 * loaded or broadcast receiver has a known class. Addition and max are commutative, so results do not change.
 */
public final class Ops {
    /** Elements per parallel slice for the streaming element-wise ops (memory bound, so coarse). */
    private static final int ELEMENT_CHUNK = 1 << 15;

    private Ops() {}

    /** y[r,:] = (x[r,:] − mean) / sqrt(var + eps) · gamma + beta for each of {@code rows} rows of width {@code dim}. */
    public static void layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float[] y, int yOff, int rows, int dim, float eps) {
        Checks.dims("rows", rows, "dim", dim);
        Checks.range("x", x, xOff, (long) rows * dim);
        Checks.range("y", y, yOff, (long) rows * dim);
        Checks.range("gamma", gamma, 0, dim);
        Checks.range("beta", beta, 0, dim);
        Parallel.forRanges(rows, Math.max(1, 8192 / Math.max(1, dim)), (lo, hi) -> {
            for (int r = lo; r < hi; r++) layerNormRow(x, xOff + r * dim, gamma, beta, y, yOff + r * dim, dim, eps);
        });
    }

    /** Two passes (mean, then centred variance) in float lanes reduced in double: no cancellation. */
    private static void layerNormRow(float[] x, int xo, float[] gamma, float[] beta, float[] y, int yo, int dim, float eps) {
        int vec = S.loopBound(dim);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < vec; i += VL) acc = FloatVector.fromArray(S, x, xo + i).add(acc);
        double sum = laneSum(acc);
        for (; i < dim; i++) sum += x[xo + i];
        double mean = sum / dim;
        float mu = (float) mean;
        FloatVector muV = FloatVector.broadcast(S, mu);
        acc = FloatVector.zero(S);
        for (i = 0; i < vec; i += VL) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(muV);
            acc = d.fma(d, acc);
        }
        double var = laneSum(acc);
        for (; i < dim; i++) { double d = x[xo + i] - mean; var += d * d; }
        var /= dim;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        FloatVector invV = FloatVector.broadcast(S, inv);
        for (i = 0; i < vec; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).sub(muV).mul(invV);
            v.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i)).intoArray(y, yo + i);
        }
        for (; i < dim; i++) y[yo + i] = (x[xo + i] - mu) * inv * gamma[i] + beta[i];
    }

    private static double laneSum(FloatVector v) {
        double s = 0;
        for (int l = 0; l < VL; l++) s += v.lane(l);
        return s;
    }

    /** In place: x · sigmoid(1.702 x), CLIP's QuickGELU. */
    public static void quickGelu(float[] x, int off, int n) {
        Checks.dims("off", off, "n", n);
        Checks.range("x", x, off, n);
        Parallel.forRanges(n, ELEMENT_CHUNK, (lo, hi) -> {
            int i = off + lo, end = off + hi, vecEnd = i + S.loopBound(hi - lo);
            for (; i < vecEnd; i += VL) Epilogue.quickGelu(FloatVector.fromArray(S, x, i)).intoArray(x, i);
            for (; i < end; i++) x[i] = Epilogue.QUICK_GELU.apply(x[i]);
        });
    }

    public static void relu(float[] x, int off, int n) {
        Checks.dims("off", off, "n", n);
        Checks.range("x", x, off, n);
        Parallel.forRanges(n, ELEMENT_CHUNK, (lo, hi) -> {
            int i = off + lo, end = off + hi, vecEnd = i + S.loopBound(hi - lo);
            for (; i < vecEnd; i += VL) FloatVector.fromArray(S, x, i).max(0f).intoArray(x, i);
            for (; i < end; i++) if (x[i] < 0) x[i] = 0;
        });
    }

    /** y[i] += x[i]. */
    public static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
        Checks.dims("off", Math.min(xOff, yOff), "n", n);
        Checks.range("y", y, yOff, n);
        Checks.range("x", x, xOff, n);
        Parallel.forRanges(n, ELEMENT_CHUNK, (lo, hi) -> {
            int i = lo, vecEnd = lo + S.loopBound(hi - lo);
            for (; i < vecEnd; i += VL)
                FloatVector.fromArray(S, y, yOff + i).add(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
            for (; i < hi; i++) y[yOff + i] += x[xOff + i];
        });
    }

    /** Numerically stable softmax of each row, in place. */
    public static void softmaxRows(float[] x, int off, int rows, int cols) {
        Checks.dims("rows", rows, "cols", cols);
        Checks.range("x", x, off, (long) rows * cols);
        if (off < 0) throw new IllegalArgumentException("negative offset " + off);
        Parallel.forRanges(rows, Math.max(1, 8192 / Math.max(1, cols)), (lo, hi) -> {
            for (int r = lo; r < hi; r++) softmax(x, off + r * cols, cols, 1f);
        });
    }

    /** x[o, o+len) ← softmax(scale · x) in place. */
    static void softmax(float[] x, int o, int len, float scale) {
        if (len == 0) return;
        int vec = S.loopBound(len), i = 0;
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < vec; i += VL) mv = FloatVector.fromArray(S, x, o + i).max(mv);
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) max = Math.max(max, x[o + i]);
        // exp(scale·x − scale·max): scale > 0, so the shifted maximum is exactly 0 and nothing overflows.
        FloatVector sv = FloatVector.broadcast(S, scale), shift = FloatVector.broadcast(S, -scale * max);
        FloatVector acc = FloatVector.zero(S);
        for (i = 0; i < vec; i += VL) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, o + i).fma(sv, shift));
            e.intoArray(x, o + i);
            acc = e.add(acc);
        }
        double sum = laneSum(acc);
        for (; i < len; i++) {
            float e = VectorMath.exp(Math.fma(x[o + i], scale, -scale * max));
            x[o + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (i = 0; i < vec; i += VL) FloatVector.fromArray(S, x, o + i).mul(inv).intoArray(x, o + i);
        for (; i < len; i++) x[o + i] *= inv;
    }

    /**
     * Multi-head scaled dot-product attention. {@code qkv} holds, for each of the {@code batch·seq} tokens,
     * the concatenated [q | k | v] projections (width 3·dim); the result [batch·seq, dim] goes to {@code out}.
     * With {@code causal} token t attends to tokens ≤ t (the text encoder's mask).
     */
    public static void attention(float[] qkv, int qkvOff, float[] out, int outOff, int batch, int seq, int dim, int heads, boolean causal) {
        Attention.run(qkv, qkvOff, out, outOff, batch, seq, dim, heads, causal);
    }

    /**
     * {@link #attention} for one query per item: item b's token {@code rows[b]} attends (with {@code causal} to
     * tokens ≤ rows[b]); its output goes to out[b, dim]. For a last block whose caller reads one token per item.
     */
    public static void attentionRows(float[] qkv, float[] out, int batch, int seq, int dim, int heads, boolean causal, int[] rows) {
        Attention.rows(qkv, out, batch, seq, dim, heads, causal, rows);
    }

}
