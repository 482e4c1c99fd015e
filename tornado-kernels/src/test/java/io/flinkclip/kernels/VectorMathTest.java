package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void expIsAccurateAndVectorEqualsScalarBitForBit() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[S.length() * 20000], v = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 175.3 - 87.0);
        x[0] = 0f; x[1] = 1f; x[2] = -1f; x[3] = 88.3f; x[4] = -87f;
        for (int i = 0; i < x.length; i += S.length()) VectorMath.exp(FloatVector.fromArray(S, x, i)).intoArray(v, i);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            float s = VectorMath.exp(x[i]);
            assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[i]), "lane and scalar differ at x=" + x[i]);
            double ref = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(s - ref) / ref);
        }
        assertTrue(worst < 3e-7, "max relative error " + worst);
        assertEquals(1f, VectorMath.exp(0f));
        // Below the clamp the result stays the smallest value on the accurate range, never subnormal (a subnormal
        // result costs a microcode assist on x86); [-87.34, -87) would have produced them.
        assertEquals(VectorMath.exp(-87f), VectorMath.exp(-1000f));
        for (float t = -87.4f; t < -86.9f; t += 1e-3f) assertTrue(VectorMath.exp(t) >= Float.MIN_NORMAL, "subnormal at " + t);
        assertTrue(Float.isFinite(VectorMath.exp(1000f)));
    }
}
