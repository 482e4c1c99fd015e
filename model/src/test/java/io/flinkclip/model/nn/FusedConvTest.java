package io.flinkclip.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FusedConv} against conv → eval BatchNorm → ReLU computed in double from the raw tensors, for each way it
 * holds its weights: large fp16-exact weights stay 16-bit with the BatchNorm scale applied on widening, small ones
 * and others are folded into fp32, and RN50 layer 4's 3×3 width holds either direct weights (on the 7×7 maps it sees
 * there) or Winograd filters (on larger maps), never both, and computes the convolution on any map with either.
 */
class FusedConvTest {
    private static final int SAMPLED = 7; // the reference checks every 7th output channel (the 512-wide case is big)

    @Test
    void largeFp16WeightsStay16BitAndMatchConvThenBatchNorm() {
        Built l = build(1, 512, 544, 1, 1, 0, true); // 278,528 weights: above the folded limit of 256·1024
        assertEquals(2L * 544 * 512, l.params.packed16Bytes());
        assertEquals(l.params.packedBytes(), l.params.packed16Bytes());
        assertMatchesReference(l.conv, l.reference, 2, 5, 5, l.rnd);
    }

    @Test
    void smallFp16WeightsAreFoldedIntoFp32() {
        Built l = build(4, 64, 96, 1, 1, 0, true);
        assertEquals(0, l.params.packed16Bytes());
        assertEquals(4L * 96 * 64, l.params.packedBytes());
        assertMatchesReference(l.conv, l.reference, 2, 5, 5, l.rnd);
    }

    @Test
    void weightsOffTheHalfGridAreFoldedIntoFp32() {
        Built l = build(2, 48, 40, 3, 2, 1, false); // strided: never Winograd
        assertEquals(0, l.params.packed16Bytes());
        assertEquals(4L * 64 * 9 * 48, l.params.packedBytes()); // 40 columns pad to two 32-wide panels
        assertMatchesReference(l.conv, l.reference, 2, 9, 8, l.rnd);
    }

    @Test
    void widestWinogradLayerRunsDirectOnSmallMapsAndHoldsOnlyThoseWeights() {
        // Built for 7×7 maps (49 pixels, up to 64 run direct): the direct weights alone, 16-bit.
        Built direct = build(3, 512, 512, 3, 1, 1, true, 7);
        assertEquals(2L * 512 * 9 * 512, direct.params.packed16Bytes());
        assertEquals(direct.params.packed16Bytes(), direct.params.packedBytes(), "no Winograd filters beside the direct weights");
        assertFalse(direct.conv.poolsInForward(14, 14));
        // Built for 14×14 maps (196 pixels): the F(2×2) filters alone (16 points of 512×512 fp32).
        Built wino = build(3, 512, 512, 3, 1, 1, true, 14);
        assertEquals(0, wino.params.packed16Bytes(), "no direct copy beside the Winograd filters");
        assertEquals(4L * 16 * 512 * 512, wino.params.packedBytes());
        assertTrue(wino.conv.poolsInForward(14, 14));
        // Either computes the layer on any map and batch.
        for (Built l : new Built[] {direct, wino}) {
            assertMatchesReference(l.conv, l.reference, 3, 7, 7, l.rnd);
            assertMatchesReference(l.conv, l.reference, 1, 10, 10, l.rnd);
        }
    }

    @Test
    void narrowerWinogradLayersStayWinogradOnSmallMaps() {
        Built l = build(5, 256, 256, 3, 1, 1, true, 7);
        assertEquals(0, l.params.packed16Bytes());
        assertEquals(4L * 16 * 256 * 256, l.params.packedBytes());
        assertTrue(l.conv.poolsInForward(8, 8));
        assertMatchesReference(l.conv, l.reference, 2, 7, 7, l.rnd);
    }

    /**
     * A layer built from {@link #layer}, the same tensors again for the reference (the build releases its own), and
     * the rest of the seed's stream for the inputs.
     */
    private record Built(Params params, FusedConv conv, StateDict reference, SplittableRandom rnd) {}

    private static Built build(long seed, int in, int out, int k, int stride, int pad, boolean fp16) {
        return build(seed, in, out, k, stride, pad, fp16, 14);
    }

    /** As above, for a model whose maps at this layer are side×side. */
    private static Built build(long seed, int in, int out, int k, int stride, int pad, boolean fp16, int side) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Params p = new Params(layer(rnd, in, out, k, fp16), true);
        FusedConv f = new FusedConv(p, "c", "b", in, out, k, stride, pad, true, side);
        return new Built(p, f, layer(new SplittableRandom(seed), in, out, k, fp16), rnd);
    }

    /**
     * Tensors "c.weight" [out, in, k, k] and BatchNorm "b.*" with random statistics; the conv weights on the fp16
     * grid, or with one value one ulp off it.
     */
    private static StateDict layer(SplittableRandom rnd, int in, int out, int k, boolean fp16) {
        float[] w = new float[out * in * k * k];
        for (int i = 0; i < w.length; i++) w[i] = Float.float16ToFloat(Float.floatToFloat16((float) (rnd.nextGaussian() / Math.sqrt(in * k * k))));
        if (!fp16) w[w.length / 2] = Math.nextUp(w[w.length / 2]);
        float[] gamma = new float[out], beta = new float[out], mean = new float[out], var = new float[out];
        for (int o = 0; o < out; o++) {
            gamma[o] = (float) (0.5 + rnd.nextDouble());
            beta[o] = (float) (0.1 * rnd.nextGaussian());
            mean[o] = (float) (0.1 * rnd.nextGaussian());
            var[o] = (float) (0.5 + rnd.nextDouble());
        }
        StateDict sd = new StateDict();
        sd.put(Tensor.of("c.weight", new int[] {out, in, k, k}, w));
        sd.put(Tensor.of("b.weight", new int[] {out}, gamma));
        sd.put(Tensor.of("b.bias", new int[] {out}, beta));
        sd.put(Tensor.of("b.running_mean", new int[] {out}, mean));
        sd.put(Tensor.of("b.running_var", new int[] {out}, var));
        return sd;
    }

    /** f on random NHWC input of n images h×w against the double reference on every {@link #SAMPLED}th channel. */
    private static void assertMatchesReference(FusedConv f, StateDict ref, int n, int h, int w, SplittableRandom rnd) {
        int in = f.in, out = f.out, k = f.k, oh = f.outSize(h), ow = f.outSize(w);
        float[] x = new float[n * h * w * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.max(0, rnd.nextGaussian());
        float[] y = new float[n * oh * ow * out];
        f.forward(x, n, h, w, y, false);
        float[] wt = ref.get("c.weight").data(), gamma = ref.get("b.weight").data(), beta = ref.get("b.bias").data();
        float[] mean = ref.get("b.running_mean").data(), var = ref.get("b.running_var").data();
        double worst = 0, scale = 0;
        int positive = 0;
        for (int b = 0; b < n; b++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    for (int o = 0; o < out; o += SAMPLED) {
                        double acc = 0;
                        for (int i = 0; i < k; i++) {
                            for (int j = 0; j < k; j++) {
                                int iy = oy * f.stride + i - f.pad, ix = ox * f.stride + j - f.pad;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                for (int c = 0; c < in; c++) acc += (double) x[((b * h + iy) * w + ix) * in + c] * wt[((o * in + c) * k + i) * k + j];
                            }
                        }
                        double want = Math.max(0, (acc - mean[o]) / Math.sqrt((double) var[o] + BatchNorm2d.EPS) * gamma[o] + beta[o]);
                        double got = y[((b * oh + oy) * ow + ox) * out + o];
                        worst = Math.max(worst, Math.abs(got - want));
                        scale = Math.max(scale, Math.abs(want));
                        if (want > 0) positive++;
                    }
                }
            }
        }
        assertTrue(positive > 10, "degenerate reference: " + positive + " positive outputs");
        assertTrue(worst <= 2e-5 * scale, "max |difference| " + worst + " against max |output| " + scale);
    }
}
