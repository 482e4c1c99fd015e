package io.flinkclip.flink.testing;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Solid-colour PNGs for tests. */
public final class Images {
    private Images() {}

    public static byte[] png(Color colour, int size) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, size, size);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] red() { return png(new Color(220, 20, 20), 8); }

    public static byte[] green() { return png(new Color(20, 200, 30), 8); }

    public static byte[] blue() { return png(new Color(10, 30, 230), 8); }

    /** Decodable but 1×1: the fake preprocessing rejects it as too small. */
    public static byte[] tiny() { return png(Color.RED, 1); }

    public static byte[] garbage() { return new byte[] {1, 2, 3, 4, 5}; }
}
