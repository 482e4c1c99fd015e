package io.flinkclip.tasks.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Grey 8-bit pixel grids (MNIST) → images the CLIP preprocessing can take. */
public final class GreyImages {
    private GreyImages() {}

    /** An RGB image with R = G = B = the grey value (CLIP expects three channels). */
    public static BufferedImage toRgb(byte[] grey, int offset, int rows, int cols) {
        BufferedImage im = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int v = grey[offset + y * cols + x] & 0xff;
                im.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        return im;
    }

    /** PNG bytes of {@link #toRgb}: what {@code Clip.pixels(byte[])} and {@code Clip.embedImages} take. */
    public static byte[] toPng(byte[] grey, int offset, int rows, int cols) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(rows * cols + 256);
        try {
            if (!ImageIO.write(toRgb(grey, offset, rows, cols), "png", out)) throw new IllegalStateException("no PNG writer in this JRE");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
