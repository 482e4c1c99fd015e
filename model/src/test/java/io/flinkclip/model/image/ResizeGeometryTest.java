package io.flinkclip.model.image;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Geometry of Resize/CenterCrop and the invariants the windowed resampling relies on. */
class ResizeGeometryTest {

    @Test
    void resizedSizeFollowsTorchvision() {
        // short side -> R, long side -> int(R * long / short)
        assertArrayEquals(new int[] {32, 53}, ImagePreprocessor.resizedSize(21, 35, 32));
        assertArrayEquals(new int[] {240, 32}, ImagePreprocessor.resizedSize(300, 40, 32));
        assertArrayEquals(new int[] {224, 224}, ImagePreprocessor.resizedSize(7, 7, 224));
        assertArrayEquals(new int[] {224, 298}, ImagePreprocessor.resizedSize(150, 200, 224));
        assertArrayEquals(new int[] {635, 224}, ImagePreprocessor.resizedSize(2162, 762, 224));
    }

    @Test
    void cropOffsetRoundsHalfToEvenAndPadsWhenSmaller() {
        assertEquals(0, ImagePreprocessor.cropShift(33, 32)); // round(0.5) = 0
        assertEquals(2, ImagePreprocessor.cropShift(35, 32)); // round(1.5) = 2
        assertEquals(2, ImagePreprocessor.cropShift(37, 32)); // round(2.5) = 2
        assertEquals(4, ImagePreprocessor.cropShift(40, 32));
        assertEquals(0, ImagePreprocessor.cropShift(32, 32));
        assertEquals(-1, ImagePreprocessor.cropShift(29, 32)); // left padding (32 - 29) // 2
    }

    @Test
    void coefficientsAreNormalisedAndCoverTheInput() {
        for (int[] io : new int[][] {{97, 32}, {5, 224}, {2162, 635}, {64, 64}, {33, 32}}) {
            BicubicResampler.Coefficients c = BicubicResampler.coefficients(io[0], io[1], 0, io[1]);
            int[] fixed = c.fixedPoint();
            for (int i = 0; i < io[1]; i++) {
                assertTrue(c.min()[i] >= 0 && c.min()[i] + c.len()[i] <= io[0]);
                double sum = 0;
                long fsum = 0;
                for (int k = 0; k < c.len()[i]; k++) {
                    sum += c.weights()[i * c.ksize() + k];
                    fsum += fixed[i * c.ksize() + k];
                }
                assertEquals(1.0, sum, 1e-9);
                assertEquals(1 << BicubicResampler.PRECISION_BITS, fsum, c.len()[i]); // each weight rounds by <= 1/2
            }
        }
    }

    @Test
    void windowEqualsCropOfTheFullResize() {
        Random rnd = new Random(42);
        for (int trial = 0; trial < 40; trial++) {
            int w = 1 + rnd.nextInt(90), h = 1 + rnd.nextInt(90), ch = 1 + rnd.nextInt(4);
            int ow = 1 + rnd.nextInt(70), oh = 1 + rnd.nextInt(70);
            byte[] src = new byte[w * h * ch];
            rnd.nextBytes(src);
            byte[] full = BicubicResampler.resize8(src, w, h, ch, ow, oh, 0, 0, ow, oh);
            int x0 = rnd.nextInt(ow), y0 = rnd.nextInt(oh);
            int cw = 1 + rnd.nextInt(ow - x0), rh = 1 + rnd.nextInt(oh - y0);
            byte[] win = BicubicResampler.resize8(src, w, h, ch, ow, oh, x0, y0, cw, rh);
            for (int y = 0; y < rh; y++) {
                byte[] expected = Arrays.copyOfRange(full, ((y0 + y) * ow + x0) * ch, ((y0 + y) * ow + x0 + cw) * ch);
                byte[] got = Arrays.copyOfRange(win, y * cw * ch, (y + 1) * cw * ch);
                assertArrayEquals(expected, got, "trial " + trial + " row " + y);
            }
            byte[] nearestFull = NearestResampler.resize(src, w * ch, h, ow, oh, 0, 0, ow, oh);
            byte[] nearestWin = NearestResampler.resize(src, w * ch, h, ow, oh, x0, y0, cw, rh);
            for (int y = 0; y < rh; y++) {
                assertArrayEquals(Arrays.copyOfRange(nearestFull, (y0 + y) * ow + x0, (y0 + y) * ow + x0 + cw),
                        Arrays.copyOfRange(nearestWin, y * cw, (y + 1) * cw));
            }
        }
    }

    @Test
    void sameSizeIsTheIdentityAndKeepsColourUnderZeroAlpha() {
        byte[] rgba = new byte[32 * 32 * 4];
        new Random(1).nextBytes(rgba);
        for (int i = 3; i < rgba.length; i += 8) rgba[i] = 0; // invisible pixels keep their colour: no premultiply
        byte[] out = new ImagePreprocessor().resizeAndCropU8(new DecodedImage(PixelMode.RGBA, 32, 32, rgba, null), 32);
        for (int i = 0; i < 32 * 32; i++) {
            for (int c = 0; c < 3; c++) assertEquals(rgba[4 * i + c], out[3 * i + c]);
        }
    }

    @Test
    void premultiplicationUsesPillowsIntegerRounding() {
        byte[] px = {(byte) 200, 10, (byte) 255, (byte) 128};
        byte[] pre = ModeConversions.premultiply(px, 4);
        assertEquals(100, pre[0] & 255); // (200·128 + 128 + ((200·128 + 128) >> 8)) >> 8
        assertEquals(5, pre[1] & 255);
        assertEquals(128, pre[2] & 255);
        ModeConversions.unpremultiply(pre, 4);
        assertEquals(199, pre[0] & 255); // 255·100 / 128, truncated
        assertEquals(9, pre[1] & 255);
        assertEquals(255, pre[2] & 255);
        assertEquals(128, pre[3] & 255);
    }

    @Test
    void normalisationIsFloat32OfU8Over255() {
        byte[] hwc = new byte[3];
        hwc[0] = (byte) 255;
        hwc[1] = 0;
        hwc[2] = (byte) 128;
        float[] chw = ImagePreprocessor.normalize(hwc, 1);
        assertEquals((1f - 0.48145466f) / 0.26862954f, chw[0]);
        assertEquals((0f - 0.4578275f) / 0.26130258f, chw[1]);
        assertEquals((128f / 255f - 0.40821073f) / 0.27577711f, chw[2]);
    }
}
