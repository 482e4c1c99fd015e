package io.flinkclip.training.data;

import io.flinkclip.model.image.ImageDecodeException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/** Decodes image bytes (formats javax.imageio reads: PNG, JPEG, BMP, GIF) to an interleaved RGB raster. */
public record ImageRaster(int width, int height, byte[] rgb) {
    /** Guard against decompression bombs: more pixels than this is rejected before decoding the raster. */
    public static final long MAX_PIXELS = 64L << 20;

    public static ImageRaster decode(byte[] bytes, String origin) {
        if (bytes == null || bytes.length == 0) throw new ImageDecodeException(origin + ": empty image");
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new ImageDecodeException(origin + ": not a recognised image format");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);   // header only: checked before decoding
                if (pixels > MAX_PIXELS || pixels <= 0) {
                    throw new ImageDecodeException(origin + ": " + reader.getWidth(0) + "×" + reader.getHeight(0) + " image is too large or empty");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImageDecodeException ide) throw ide;
            throw new ImageDecodeException(origin + ": cannot decode image: " + e.getMessage(), e);
        }
        int w = img.getWidth(), h = img.getHeight();
        byte[] rgb = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);   // alpha is dropped without compositing, like PIL's convert("RGB")
            for (int x = 0; x < w; x++) {
                int p = row[x], o = (y * w + x) * 3;
                rgb[o] = (byte) (p >> 16);
                rgb[o + 1] = (byte) (p >> 8);
                rgb[o + 2] = (byte) p;
            }
        }
        return new ImageRaster(w, h, rgb);
    }
}
