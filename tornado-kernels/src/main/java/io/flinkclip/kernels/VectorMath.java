package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp(x) for float lanes and scalars from IEEE basic operations only (mul, add, fma, conversions), so a
 * value is bit-identical whether the code is interpreted, compiled, vector or scalar. The Vector API's
 * {@code lanewise(EXP)} is not: compiled it calls an SVML routine, interpreted it falls back to
 * {@code Math.exp}, and the two differ in the last bit — enough to break bit-exact training resumes.
 * Cody–Waite range reduction and Cephes' degree-6 polynomial: max error ≈ 1 ulp on [-87, 88.4]; inputs outside are
 * clamped (results 1.6e-38 and ~2.4e38). The lower clamp keeps every result normal: a subnormal result costs a
 * microcode assist of ~100 cycles per instruction on x86, and e^x for x in [-87.34, -87) is subnormal or next to it.
 */
public final class VectorMath {
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float MIN = -87f; // e^MIN = 1.65e-38 > Float.MIN_NORMAL (see the class comment)
    private static final float MAX = 88.3762626647949f; // keeps 2^n ≤ 2^127 (no overflow of the exponent field)
    /** 1.5·2²³: adding and subtracting it rounds a float of magnitude < 2²² to the nearest integer. */
    private static final float ROUND = 12582912f;
    /**
     * ROUND's bit pattern. For an integer n with |n| < 2²², ROUND + n is exact and its bits are ROUND_BITS + n,
     * so n = bits(ROUND + n) − ROUND_BITS (equal to (int) n on every clamped input).
     */
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private VectorMath() {}

    public static FloatVector exp(FloatVector x) {
        // Clamp by compare-and-blend: max/min with Java's NaN and ±0 rules compile to five instructions each.
        x = x.blend(MIN, x.compare(VectorOperators.LT, MIN)).blend(MAX, x.compare(VectorOperators.GT, MAX));
        var sp = x.species();
        FloatVector t = x.mul(LOG2E).add(ROUND), n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(sp, P0), FloatVector.broadcast(sp, P1));
        p = p.fma(r, FloatVector.broadcast(sp, P2));
        p = p.fma(r, FloatVector.broadcast(sp, P3));
        p = p.fma(r, FloatVector.broadcast(sp, P4));
        p = p.fma(r, FloatVector.broadcast(sp, P5));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n from t's bits (its mantissa holds n, see ROUND_BITS): no float→int conversion and its NaN fix-up.
        IntVector e = t.reinterpretAsInts().add(127 - ROUND_BITS).lanewise(VectorOperators.LSHL, 23);
        return y.mul(e.reinterpretAsFloats());
    }

    /** The same arithmetic on one float, lane for lane identical to {@link #exp(FloatVector)}. */
    public static float exp(float x) {
        x = x < MIN ? MIN : x;
        x = x > MAX ? MAX : x;
        float t = x * LOG2E + ROUND, n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = p * (r * r) + r + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) + 127 - ROUND_BITS) << 23);
    }
}
