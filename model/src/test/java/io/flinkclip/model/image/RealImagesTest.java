package io.flinkclip.model.image;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real photos in shared/images at 224 (no reference values exist for them): they decode, the output has
 * the right size, stays inside the normalised range, is not flat, and single, batch and u8 paths agree.
 */
class RealImagesTest {
    private static final Path IMAGES = Path.of(System.getProperty("clip.shared.dir", "../shared")).resolve("images");

    @Test
    void realPhotosPreprocessAt224() throws IOException {
        ImagePreprocessor pre = new ImagePreprocessor();
        int r = 224, n = r * r;
        List<byte[]> all = new ArrayList<>();
        List<float[]> singles = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(IMAGES, "*.{png,jpg}")) {
            for (Path f : files) {
                byte[] bytes = Files.readAllBytes(f);
                float[] px = pre.preprocess(bytes, r);
                assertEquals(3 * n, px.length, f.toString());
                float[] mean = ImagePreprocessor.mean(), std = ImagePreprocessor.std();
                for (int c = 0; c < 3; c++) {
                    float lo = (0f - mean[c]) / std[c];
                    float hi = (1f - mean[c]) / std[c];
                    float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                    for (int i = c * n; i < (c + 1) * n; i++) {
                        min = Math.min(min, px[i]);
                        max = Math.max(max, px[i]);
                    }
                    assertTrue(min >= lo && max <= hi, f + " channel " + c + " out of range");
                    assertTrue(max - min > 0.5f, f + " channel " + c + " is nearly flat");
                }
                byte[] u8 = pre.resizeAndCropU8(pre.decoder().decode(bytes), r);
                assertArrayEquals(ImagePreprocessor.normalize(u8, r), px, f.toString());
                all.add(bytes);
                singles.add(px);
            }
        }
        assertTrue(all.size() >= 9, "expected the 9 sample photos, found " + all.size());
        float[] batch = pre.preprocessBatch(all, r);
        for (int i = 0; i < singles.size(); i++) {
            float[] part = new float[3 * n];
            System.arraycopy(batch, i * 3 * n, part, 0, 3 * n);
            assertArrayEquals(singles.get(i), part, "batch item " + i);
        }
    }

    @Test
    void decodesInPillowModes() throws IOException {
        ImageDecoder d = new ImageDecoder();
        assertEquals(PixelMode.L, d.decode(Files.readAllBytes(IMAGES.resolve("camera.png"))).mode());
        assertEquals(PixelMode.RGBA, d.decode(Files.readAllBytes(IMAGES.resolve("horse.png"))).mode());
        DecodedImage rocket = d.decode(Files.readAllBytes(IMAGES.resolve("rocket.jpg")));
        assertEquals(PixelMode.RGB, rocket.mode());
        assertEquals(640, rocket.width());
        assertEquals(427, rocket.height());
    }
}
