package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConvNhwcTest {
    @Test
    void matchesReferenceAcrossGeometries() {
        SplittableRandom rnd = new SplittableRandom(31);
        // {n, h, w, c, outC, k, stride, pad}
        int[][] shapes = {
                {2, 16, 16, 3, 8, 3, 2, 1},     // ResNet stem conv (stride 2)
                {1, 9, 7, 5, 6, 3, 1, 1},       // 3×3 same, odd sizes, rows not a multiple of the tile
                {3, 7, 7, 70, 33, 3, 1, 1},     // 7×7 map (ResNet's last stage), N not a multiple of a panel
                {2, 6, 6, 16, 40, 1, 1, 0},     // 1×1 bottleneck conv: no padding copy
                {1, 5, 5, 300, 20, 3, 1, 1},    // input channels above the K slice: taps split across slices
                {1, 4, 6, 600, 64, 1, 1, 0},    // 1×1 with K split into several slices
                {2, 5, 5, 4, 3, 5, 1, 2},       // 5×5, wide padding
                {1, 1, 1, 2, 3, 1, 1, 0},       // 1×1 image
                {2, 5, 71, 2, 4, 3, 2, 1},      // wide rows with stride 2
                {1, 8, 8, 7, 9, 2, 2, 0},       // even kernel, stride = kernel (patch-style)
                {8, 14, 14, 40, 300, 3, 1, 1},  // conv blocks 300 columns wide with partial sums over 2 K slices
        };
        for (int[] s : shapes) {
            int n = s[0], h = s[1], w = s[2], c = s[3], oc = s[4], k = s[5], st = s[6], pad = s[7];
            int oh = ConvNhwc.outSize(h, k, st, pad), ow = ConvNhwc.outSize(w, k, st, pad);
            float[] x = Reference.random(rnd, n * h * w * c), wt = Reference.random(rnd, oc * k * k * c);
            PackedMatrix packed = PackedMatrix.fromRowsNK(wt, 0, oc, k * k * c);
            for (int variant = 0; variant < 3; variant++) {
                float[] bias = variant > 0 ? Reference.random(rnd, oc) : null;
                float[] old = variant == 2 ? Reference.random(rnd, n * oh * ow * oc) : null;
                boolean relu = variant == 2;
                float[] y = old == null ? new float[n * oh * ow * oc] : old.clone();
                ConvNhwc.conv2d(x, n, h, w, c, k, st, pad, packed, bias, y, old != null, relu ? Epilogue.RELU : Epilogue.NONE);
                Reference.assertClose("conv " + Arrays.toString(s) + " variant " + variant,
                        Reference.convNhwc(x, n, h, w, c, wt, oc, k, st, pad, bias, old, relu), y, 0, Math.sqrt(c * k * k), 1e-5);
            }
        }
    }

    @Test
    void manyImagesAreSplitIntoPaddedGroupsWithoutChangingTheResult() {
        // 40 images of 40×40×64 exceed one padded group (4 Mi floats), so the batch is processed in parts.
        SplittableRandom rnd = new SplittableRandom(32);
        int n = 40, h = 40, w = 40, c = 64, oc = 32;
        float[] x = Reference.random(rnd, n * h * w * c), wt = Reference.random(rnd, oc * 9 * c);
        float[] all = new float[n * h * w * oc];
        ConvNhwc.conv2d(x, n, h, w, c, 3, 1, 1, PackedMatrix.fromRowsNK(wt, 0, oc, 9 * c), null, all, false, Epilogue.NONE);
        for (int b : new int[] {0, 17, 39}) {
            float[] one = Arrays.copyOfRange(x, b * h * w * c, (b + 1) * h * w * c);
            double[] want = Reference.convNhwc(one, 1, h, w, c, wt, oc, 3, 1, 1, null, null, false);
            Reference.assertClose("image " + b, want, Arrays.copyOfRange(all, b * h * w * oc, (b + 1) * h * w * oc), 0, 24, 1e-5);
        }
    }

    @Test
    void sixteenBitWeightsWithColumnFactorsMatchTheirFoldedValues() {
        // RN50's layer-4 layout: fp16 weights kept 16-bit, the BatchNorm scale applied while widening.
        SplittableRandom rnd = new SplittableRandom(42);
        int n = 1, h = 7, w = 7, c = 96, oc = 160;
        float[] x = Reference.random(rnd, n * h * w * c), wt = Reference.random(rnd, oc * c), scale = Reference.random(rnd, oc);
        for (int i = 0; i < wt.length; i++) wt[i] = Float.float16ToFloat(Float.floatToFloat16(wt[i]));
        PackedMatrix half = PackedMatrix.fromRowsNK(wt, 0, oc, c).compact();
        assertEquals(PackedMatrix.Storage.F16, half.storage());
        PackedMatrix scaled = half.scaleColumns(scale);
        float[] folded = new float[wt.length];
        for (int i = 0; i < wt.length; i++) folded[i] = wt[i] * scale[i / c];
        float[] bias = Reference.random(rnd, oc), old = Reference.random(rnd, n * h * w * oc);
        float[] fromHalf = old.clone(), fromFolded = old.clone();
        ConvNhwc.conv2d(x, n, h, w, c, 1, 1, 0, scaled, bias, fromHalf, true, Epilogue.RELU);
        ConvNhwc.conv2d(x, n, h, w, c, 1, 1, 0, PackedMatrix.fromRowsNK(folded, 0, oc, c), bias, fromFolded, true, Epilogue.RELU);
        assertArrayEquals(fromFolded, fromHalf, "widened 16-bit weights times their column factors are the folded fp32 values");
        Reference.assertClose("16-bit 1×1", Reference.convNhwc(x, n, h, w, c, folded, oc, 1, 1, 0, bias, old, true), fromHalf, 0,
                Math.sqrt(c), 1e-5);
    }

    @Test
    void anImageGetsTheSameBitsAloneAndInABatch() {
        // Large enough to run in parallel blocks: a pixel's sum must not depend on which tile or block it lands in.
        SplittableRandom rnd = new SplittableRandom(43);
        int n = 5, h = 14, w = 14, c = 256, oc = 128;
        float[] x = Reference.random(rnd, n * h * w * c), wt = Reference.random(rnd, oc * c), bias = Reference.random(rnd, oc);
        PackedMatrix packed = PackedMatrix.fromRowsNK(wt, 0, oc, c);
        float[] all = new float[n * h * w * oc];
        ConvNhwc.conv2d(x, n, h, w, c, 1, 1, 0, packed, bias, all, false, Epilogue.RELU);
        for (int b = 0; b < n; b++) {
            float[] one = new float[h * w * oc];
            ConvNhwc.conv2d(Arrays.copyOfRange(x, b * h * w * c, (b + 1) * h * w * c), 1, h, w, c, 1, 1, 0, packed, bias, one, false,
                    Epilogue.RELU);
            assertArrayEquals(Arrays.copyOfRange(all, b * h * w * oc, (b + 1) * h * w * oc), one, "image " + b);
        }
        Reference.assertClose("batch", Reference.convNhwc(x, n, h, w, c, wt, oc, 1, 1, 0, bias, null, true), all, 0, Math.sqrt(c), 1e-5);
    }

    @Test
    void rejectsInconsistentArguments() {
        PackedMatrix wt = PackedMatrix.fromRowsNK(new float[4 * 9 * 2], 0, 4, 18);
        float[] x = new float[5 * 5 * 2], y = new float[5 * 5 * 4];
        assertThrows(IllegalArgumentException.class, () -> ConvNhwc.conv2d(x, 1, 5, 5, 3, 3, 1, 1, wt, null, y, false, Epilogue.NONE));
        assertThrows(IllegalArgumentException.class, () -> ConvNhwc.conv2d(x, 1, 5, 5, 2, 3, 1, 3, wt, null, y, false, Epilogue.NONE));
        assertThrows(IllegalArgumentException.class, () -> ConvNhwc.conv2d(x, 1, 5, 5, 2, 3, 0, 1, wt, null, y, false, Epilogue.NONE));
        assertThrows(IllegalArgumentException.class, () -> ConvNhwc.conv2d(x, 1, 5, 6, 2, 3, 1, 1, wt, null, y, false, Epilogue.NONE));
        assertThrows(IllegalArgumentException.class, () -> ConvNhwc.conv2d(x, 1, 5, 5, 2, 3, 1, 1, wt, null, new float[10], false, Epilogue.NONE));
    }
}
