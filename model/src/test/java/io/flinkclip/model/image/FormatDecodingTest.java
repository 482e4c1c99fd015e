package io.flinkclip.model.image;

import org.junit.jupiter.api.Test;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Decoded pixels equal what was encoded, in the mode Pillow would open: GIF (first frame), BMP, PNG. */
class FormatDecodingTest {
    private static final Random RND = new Random(7);

    @Test
    void animatedGifGivesItsFirstFrameAsPalette() throws IOException {
        IndexColorModel cm = randomPalette();
        BufferedImage f0 = indexed(40, 30, cm), f1 = indexed(40, 30, cm);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageWriter w = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            w.prepareWriteSequence(null);
            w.writeToSequence(new IIOImage(f0, null, null), null);
            w.writeToSequence(new IIOImage(f1, null, null), null);
            w.endWriteSequence();
        }
        DecodedImage img = new ImageDecoder().decode(bytes.toByteArray());
        assertEquals(PixelMode.P, img.mode());
        assertEquals(40, img.width());
        assertArrayEquals(indices(f0), img.pixels());
        byte[] pal = img.palette();
        for (int i = 0; i < 256; i++) {
            assertEquals(cm.getRed(i), pal[3 * i] & 255);
            assertEquals(cm.getBlue(i), pal[3 * i + 2] & 255);
        }
    }

    @Test
    void bmpRgbAndPaletteAndGreyPalette() throws IOException {
        BufferedImage rgb = new BufferedImage(13, 9, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 9; y++) for (int x = 0; x < 13; x++) rgb.setRGB(x, y, RND.nextInt() & 0xFFFFFF);
        DecodedImage d = new ImageDecoder().decode(encode(rgb, "bmp"));
        assertEquals(PixelMode.RGB, d.mode());
        for (int i = 0; i < 13 * 9; i++) {
            int argb = rgb.getRGB(i % 13, i / 13);
            assertEquals((argb >> 16) & 255, d.pixels()[3 * i] & 255);
            assertEquals(argb & 255, d.pixels()[3 * i + 2] & 255);
        }
        IndexColorModel cm = randomPalette();
        BufferedImage pal = indexed(11, 7, cm);
        DecodedImage p = new ImageDecoder().decode(encode(pal, "bmp"));
        assertEquals(PixelMode.P, p.mode());
        assertArrayEquals(indices(pal), p.pixels());
        BufferedImage grey = indexed(11, 7, greyRamp());
        DecodedImage g = new ImageDecoder().decode(encode(grey, "bmp"));
        assertEquals(PixelMode.L, g.mode()); // an identity grey palette is dropped, as Pillow does
        assertArrayEquals(indices(grey), g.pixels());
    }

    @Test
    void gifWithIdentityGreyPaletteIsL() throws IOException {
        BufferedImage grey = indexed(20, 10, greyRamp());
        DecodedImage g = new ImageDecoder().decode(encode(grey, "gif"));
        assertEquals(PixelMode.L, g.mode());
        assertArrayEquals(indices(grey), g.pixels());
    }

    @Test
    void sixteenBitGreyPngKeepsItsValues() throws IOException {
        BufferedImage im = new BufferedImage(9, 5, BufferedImage.TYPE_USHORT_GRAY);
        int[] values = new int[45];
        for (int i = 0; i < 45; i++) values[i] = RND.nextInt(65536);
        im.getRaster().setPixels(0, 0, 9, 5, values);
        DecodedImage d = new ImageDecoder().decode(encode(im, "png"));
        assertEquals(PixelMode.I16, d.mode());
        for (int i = 0; i < 45; i++) {
            assertEquals(values[i], ((d.pixels()[2 * i] & 255) << 8) | (d.pixels()[2 * i + 1] & 255));
        }
    }

    @Test
    void palettePngKeepsIndicesAndPalette() throws IOException {
        IndexColorModel cm = randomPalette();
        BufferedImage im = indexed(17, 6, cm);
        DecodedImage d = new ImageDecoder().decode(encode(im, "png"));
        assertEquals(PixelMode.P, d.mode());
        assertArrayEquals(indices(im), d.pixels());
        assertEquals(cm.getGreen(77), d.palette()[3 * 77 + 1] & 255);
    }

    @Test
    void interlacedPngDecodesLikeAPlainOne() throws IOException {
        BufferedImage im = new BufferedImage(23, 19, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 19; y++) for (int x = 0; x < 23; x++) im.setRGB(x, y, RND.nextInt() & 0xFFFFFF);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
        javax.imageio.ImageWriteParam p = w.getDefaultWriteParam();
        p.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT); // Adam7
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(null, new IIOImage(im, null, null), p);
        }
        byte[] png = bytes.toByteArray();
        assertEquals(1, png[8 + 8 + 12], "interlace flag in IHDR");
        assertArrayEquals(new ImageDecoder().decode(encode(im, "png")).pixels(), new ImageDecoder().decode(png).pixels());
    }

    private static byte[] encode(BufferedImage im, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(im, format, out)) throw new IOException("no " + format + " writer for this image");
        return out.toByteArray();
    }

    private static IndexColorModel randomPalette() {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        RND.nextBytes(r);
        RND.nextBytes(g);
        RND.nextBytes(b);
        r[0] = 1; // never the identity grey ramp
        return new IndexColorModel(8, 256, r, g, b);
    }

    private static IndexColorModel greyRamp() {
        byte[] v = new byte[256];
        for (int i = 0; i < 256; i++) v[i] = (byte) i;
        return new IndexColorModel(8, 256, v, v, v);
    }

    private static BufferedImage indexed(int w, int h, IndexColorModel cm) {
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, cm);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) im.getRaster().setSample(x, y, 0, RND.nextInt(256));
        return im;
    }

    private static byte[] indices(BufferedImage im) {
        int[] s = im.getRaster().getPixels(0, 0, im.getWidth(), im.getHeight(), (int[]) null);
        byte[] b = new byte[s.length];
        for (int i = 0; i < s.length; i++) b[i] = (byte) s[i];
        return b;
    }
}
