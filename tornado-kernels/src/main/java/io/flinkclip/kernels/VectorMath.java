package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp(x) for float lanes and scalars from IEEE basic operations only (mul, add, fma, conversions), so a
 * value is bit-identical whether the code is interpreted, compiled, vector or scalar. The Vector API's
 * {@code lanewise(EXP)} is not: compiled it calls an SVML routine, interpreted it falls back to
 * {@code Math.exp}, and the two differ in the last bit — enough to break bit-exact training resumes.
 * Cody–Waite range reduction and Cephes' degree-6 polynomial: max error ≈ 1 ulp on [-87.3, 88.4]; inputs outside are clamped (results ~1e-38 and ~2.4e38).
 */
public final class VectorMath {
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float MIN = -87.3365478515625f, MAX = 88.3762626647949f; // keeps 2^n ≤ 2^127 (no overflow of the exponent field)
    /** 1.5·2²³: adding and subtracting it rounds a float of magnitude < 2²² to the nearest integer. */
    private static final float ROUND = 12582912f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private VectorMath() {}

    public static FloatVector exp(FloatVector x) {
        x = x.max(MIN).min(MAX);
        var sp = x.species();
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(sp, P0), FloatVector.broadcast(sp, P1));
        p = p.fma(r, FloatVector.broadcast(sp, P2));
        p = p.fma(r, FloatVector.broadcast(sp, P3));
        p = p.fma(r, FloatVector.broadcast(sp, P4));
        p = p.fma(r, FloatVector.broadcast(sp, P5));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        IntVector e = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(e.reinterpretAsFloats());
    }

    /** The same arithmetic on one float, lane for lane identical to {@link #exp(FloatVector)}. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, MIN), MAX);
        float n = x * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = p * (r * r) + r + 1f;
        return y * Float.intBitsToFloat(((int) n + 127) << 23);
    }
}
