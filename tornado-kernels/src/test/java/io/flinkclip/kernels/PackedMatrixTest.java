package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link PackedMatrix#compact()}: 16-bit storage only when it is exact for every value, and GEMMs and convolutions
 * on it bit-identical to the fp32 storage of the same values (the widened micro-panel is the fp32 panel).
 */
class PackedMatrixTest {
    private static final int NR = MicroKernel.NR, KC = MicroKernel.KC;

    /** Shapes on the widened-panel path: few rows (ViT batch 1), K slices with a short last one, ragged N, tall M. */
    private static final int[][] SHAPES = {{1, 5, 3}, {50, 3 * NR + 7, 2 * KC + 40}, {50, 768, 768}, {13, 40, KC + 1},
            {805, 167, 300}, {805, 420, 300}};

    private static float[] fp16Values(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16((float) (rnd.nextGaussian() * 0.05)));
        // Zeros of both signs, the smallest subnormal and the largest finite half.
        x[0] = 0f;
        if (n > 3) {
            x[1] = -0f;
            x[2] = 0x1p-24f;
            x[3] = -65504f;
        }
        return x;
    }

    /** bfloat16 values that are not all halves: magnitudes far outside fp16's range. */
    private static float[] bf16Values(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = Float.intBitsToFloat(Float.floatToRawIntBits((float) (rnd.nextGaussian() * 0.05)) & 0xFFFF0000);
        x[0] = 0x1p-100f;
        if (n > 1) x[1] = -0x1p100f;
        return x;
    }

    @Test
    void picksTheNarrowestExactStorage() {
        SplittableRandom rnd = new SplittableRandom(1);
        PackedMatrix f16 = PackedMatrix.fromRowsNK(fp16Values(rnd, 40 * 70), 0, 40, 70).compact();
        assertEquals(PackedMatrix.Storage.F16, f16.storage());
        assertEquals(2L * PackedMatrix.size(40, 70), f16.bytes());
        assertEquals(PackedMatrix.Storage.BF16, PackedMatrix.fromRowsNK(bf16Values(rnd, 40 * 70), 0, 40, 70).compact().storage());
        // One value off the half grid by one fp32 ulp keeps the whole matrix in fp32.
        float[] almost = fp16Values(rnd, 40 * 70);
        almost[1234] = Math.nextUp(almost[1234]);
        PackedMatrix f32 = PackedMatrix.fromRowsNK(almost, 0, 40, 70);
        assertSame(f32, f32.compact());
        assertEquals(PackedMatrix.Storage.F32, f32.storage());
    }

    /** Stored 16-bit values packed as they are: the very matrix that packing their floats and narrowing gives. */
    @Test
    void storedBitsPackAsTheirNarrowedFloats() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int[] s : new int[][] {{1, 5}, {3 * NR + 7, 2 * KC + 40}, {NR, 64}, {40, 70}, {167, 300}}) {
            int n = s[0], k = s[1], off = 9;
            for (PackedMatrix.Storage storage : new PackedMatrix.Storage[] {PackedMatrix.Storage.F16, PackedMatrix.Storage.BF16}) {
                // The matrix from off on, starting with the special values (and for BF16 those outside fp16's range).
                float[] m = storage == PackedMatrix.Storage.F16 ? fp16Values(rnd, n * k) : bf16Values(rnd, n * k);
                float[] v = new float[off + m.length];
                System.arraycopy(m, 0, v, off, m.length);
                short[] bits = new short[v.length];
                for (int i = 0; i < v.length; i++)
                    bits[i] = storage == PackedMatrix.Storage.F16 ? Float.floatToFloat16(v[i]) : (short) (Float.floatToRawIntBits(v[i]) >>> 16);
                PackedMatrix nk = PackedMatrix.fromBits16NK(bits, off, n, k, storage), kn = PackedMatrix.fromBits16KN(bits, off, n, k, storage);
                PackedMatrix wantNk = PackedMatrix.fromRowsNK(v, off, n, k).compact(), wantKn = PackedMatrix.fromRowsKN(v, off, n, k).compact();
                for (PackedMatrix[] pair : new PackedMatrix[][] {{wantNk, nk}, {wantKn, kn}}) {
                    assertEquals(storage, pair[1].storage());
                    assertEquals(pair[0].storage(), pair[1].storage());
                    assertEquals(pair[0].k(), pair[1].k());
                    assertEquals(pair[0].n(), pair[1].n());
                    org.junit.jupiter.api.Assertions.assertArrayEquals(pair[0].half, pair[1].half, n + "x" + k + " " + storage);
                }
                assertArrayEquals(java.util.Arrays.copyOfRange(v, off, off + 5), PackedMatrix.widenValues(bits, off, 5, storage));
            }
        }
        // Non-finite values found at any position, vector body or tail; finite extremes are not.
        for (PackedMatrix.Storage storage : new PackedMatrix.Storage[] {PackedMatrix.Storage.F16, PackedMatrix.Storage.BF16}) {
            boolean f16 = storage == PackedMatrix.Storage.F16;
            short[] h = new short[77];
            java.util.Arrays.fill(h, (short) (f16 ? 0x7BFF : 0x7F7F)); // the largest finite value
            h[5] = (short) (f16 ? 0xFBFF : 0xFF7F);
            assertEquals(-1, PackedMatrix.firstNonFinite(h, storage));
            for (int at : new int[] {0, 31, 40, 76}) {
                for (short bad : f16 ? new short[] {0x7C00, (short) 0xFC00, 0x7E01} : new short[] {0x7F80, (short) 0xFF80, 0x7FC1}) {
                    short[] c = h.clone();
                    c[at] = bad;
                    if (at < 76) c[76] = bad;
                    assertEquals(at, PackedMatrix.firstNonFinite(c, storage), storage + " at " + at);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> PackedMatrix.fromBits16NK(new short[10], 0, 3, 4, PackedMatrix.Storage.F16));
        assertThrows(IllegalArgumentException.class, () -> PackedMatrix.fromBits16NK(new short[12], 0, 3, 4, PackedMatrix.Storage.F32));
    }

    private static void assertArrayEquals(float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "element " + i);
    }

    @Test
    void gemmOn16BitStorageIsBitIdenticalToFp32() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean bf16 : new boolean[] {false, true}) {
                float[] w = bf16 ? bf16Values(rnd, n * k) : fp16Values(rnd, n * k);
                PackedMatrix wide = PackedMatrix.fromRowsNK(w, 0, n, k), narrow = wide.compact();
                assertEquals(bf16 ? PackedMatrix.Storage.BF16 : PackedMatrix.Storage.F16, narrow.storage());
                float[] a = Reference.random(rnd, m * k), bias = Reference.random(rnd, n), old = Reference.random(rnd, m * n);
                for (Epilogue act : Epilogue.values()) {
                    float[] want = old.clone(), got = old.clone();
                    Gemm.packed(a, 0, wide, bias, want, 0, m, true, act);
                    Gemm.packed(a, 0, narrow, bias, got, 0, m, true, act);
                    for (int i = 0; i < want.length; i++) {
                        if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]))
                            throw new AssertionError(m + "x" + n + "x" + k + (bf16 ? " bf16 " : " f16 ") + act + ": element " + i + " " + got[i] + " != " + want[i]);
                    }
                }
                // And against a double reference, so a widening bug shared by both paths cannot pass.
                float[] c = new float[m * n];
                Gemm.packed(a, 0, narrow, null, c, 0, m, false, Epilogue.NONE);
                double[] ref = Reference.gemm(a, 0, false, w, 0, true, m, n, k);
                for (int i = 0; i < c.length; i++) assertEquals(ref[i], c[i], 1e-4 * Math.max(1, Math.abs(ref[i])), "element " + i);
            }
        }
    }

    @Test
    void convolutionOn16BitWeightsIsBitIdenticalToFp32() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 2, h = 9, w = 7, c = 24, oc = 40;
        for (int k : new int[] {1, 3}) {
            float[] x = Reference.random(rnd, n * h * w * c), wt = fp16Values(rnd, oc * k * k * c), bias = Reference.random(rnd, oc);
            PackedMatrix wide = PackedMatrix.fromRowsNK(wt, 0, oc, k * k * c), narrow = wide.compact();
            assertEquals(PackedMatrix.Storage.F16, narrow.storage());
            int oh = ConvNhwc.outSize(h, k, 1, k / 2), ow = ConvNhwc.outSize(w, k, 1, k / 2);
            float[] want = new float[n * oh * ow * oc], got = new float[want.length];
            ConvNhwc.conv2d(x, n, h, w, c, k, 1, k / 2, wide, bias, want, false, Epilogue.RELU);
            ConvNhwc.conv2d(x, n, h, w, c, k, 1, k / 2, narrow, bias, got, false, Epilogue.RELU);
            for (int i = 0; i < want.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "k=" + k + " element " + i);
            int positive = 0;
            for (float v : want) if (v > 0) positive++;
            assertTrue(positive > want.length / 5, "degenerate output: " + positive + " of " + want.length + " positive");
        }
    }

    /**
     * {@link PackedMatrix#scaleColumns}: column j of the 16-bit matrix is multiplied by scale[j] as it is widened, so
     * GEMMs and convolutions equal those on the fp32 matrix holding the float products w·s, bit for bit, on every
     * path (few rows, K slices, ragged N, tall M; 1×1 and 3×3 convolutions), and the padding columns stay zero.
     */
    @Test
    void columnScalesApplyAsTheWideningDoes() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            float[] w = fp16Values(rnd, n * k), scale = new float[n], products = new float[n * k];
            for (int j = 0; j < n; j++) scale[j] = (float) (0.25 + rnd.nextDouble());
            for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) products[j * k + p] = w[j * k + p] * scale[j];
            PackedMatrix scaled = PackedMatrix.fromRowsNK(w, 0, n, k).compact().scaleColumns(scale);
            PackedMatrix folded = PackedMatrix.fromRowsNK(products, 0, n, k);
            float[] a = Reference.random(rnd, m * k), bias = Reference.random(rnd, n), old = Reference.random(rnd, m * n);
            float[] want = old.clone(), got = old.clone();
            Gemm.packed(a, 0, folded, bias, want, 0, m, true, Epilogue.RELU);
            Gemm.packed(a, 0, scaled, bias, got, 0, m, true, Epilogue.RELU);
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]))
                    throw new AssertionError(m + "x" + n + "x" + k + ": element " + i + " " + got[i] + " != " + want[i]);
            }
        }
        int n = 2, h = 9, w = 7, c = 24, oc = 40;
        for (int k : new int[] {1, 3}) {
            float[] x = Reference.random(rnd, n * h * w * c), wt = fp16Values(rnd, oc * k * k * c), bias = Reference.random(rnd, oc);
            float[] scale = new float[oc], products = new float[wt.length];
            for (int o = 0; o < oc; o++) scale[o] = (float) (0.25 + rnd.nextDouble());
            for (int i = 0; i < wt.length; i++) products[i] = wt[i] * scale[i / (k * k * c)];
            int oh = ConvNhwc.outSize(h, k, 1, k / 2), ow = ConvNhwc.outSize(w, k, 1, k / 2);
            float[] want = new float[n * oh * ow * oc], got = new float[want.length];
            ConvNhwc.conv2d(x, n, h, w, c, k, 1, k / 2, PackedMatrix.fromRowsNK(products, 0, oc, k * k * c), bias, want, false, Epilogue.NONE);
            ConvNhwc.conv2d(x, n, h, w, c, k, 1, k / 2, PackedMatrix.fromRowsNK(wt, 0, oc, k * k * c).compact().scaleColumns(scale), bias, got,
                    false, Epilogue.NONE);
            for (int i = 0; i < want.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "k=" + k + " element " + i);
        }
    }

    @Test
    void columnScalesNeed16BitStorageAndOneFactorPerColumn() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] almost = fp16Values(rnd, 40 * 70);
        almost[7] = Math.nextUp(almost[7]);
        PackedMatrix f32 = PackedMatrix.fromRowsNK(almost, 0, 40, 70).compact();
        assertThrows(IllegalStateException.class, () -> f32.scaleColumns(new float[40]));
        PackedMatrix f16 = PackedMatrix.fromRowsNK(fp16Values(rnd, 40 * 70), 0, 40, 70).compact();
        assertThrows(IllegalArgumentException.class, () -> f16.scaleColumns(new float[39]));
        assertEquals(f16.bytes(), f16.scaleColumns(new float[40]).bytes());
    }
}
