package io.flinkclip.training.job;

import io.flinkclip.training.data.PairDataset;
import io.flinkclip.training.data.RawPair;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

/**
 * Pairs of 8×8 images tinted by one of 6 classes with the caption "a photo of class k". Every 4th image is PNG-encoded
 * (exercising decoding), the others are rasters; pair {@link #BROKEN} has corrupt bytes and must be skipped.
 */
final class SyntheticPairs implements PairDataset {
    static final int BROKEN = 17;
    private final int size;

    SyntheticPairs(int size) { this.size = size; }

    @Override public long size() { return size; }

    @Override
    public RawPair read(long i) {
        int cls = (int) (i % 6);
        String caption = "a photo of class " + "abcdef".charAt(cls);
        if (i == BROKEN) return RawPair.encoded(new byte[]{1, 2, 3, 4}, caption, "broken#" + i);
        Random r = new Random(i);
        byte[] rgb = new byte[8 * 8 * 3];
        for (int p = 0; p < 64; p++) for (int c = 0; c < 3; c++) {
            rgb[p * 3 + c] = (byte) Math.min(255, (c == cls % 3 ? 150 : 40) + r.nextInt(100) + (cls >= 3 ? 60 : 0));
        }
        if (i % 4 != 0) return RawPair.raster(8, 8, rgb, caption, "raster#" + i);
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int p = 0; p < 64; p++) img.setRGB(p % 8, p / 8, ((rgb[p * 3] & 0xff) << 16) | ((rgb[p * 3 + 1] & 0xff) << 8) | (rgb[p * 3 + 2] & 0xff));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return RawPair.encoded(out.toByteArray(), caption, "png#" + i);
    }
}
