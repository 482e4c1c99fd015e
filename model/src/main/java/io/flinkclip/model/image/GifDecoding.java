package io.flinkclip.model.image;

import java.awt.image.Raster;

/**
 * GIF, first frame only, as Pillow 9.4 loads it: the canvas is the logical screen (grown to hold the frame),
 * filled with the frame's transparent index if it has one and 0 otherwise, with the frame's pixels placed at
 * its offset. Mode "P" with the local colour table (or else the global one), except that a table that is just
 * the identity grey ramp makes the image "L". The headers are parsed here; ImageIO does the LZW decoding.
 */
final class GifDecoding {
    private GifDecoding() {}

    static DecodedImage decode(byte[] b, ImageDecoder limits) {
        if (b.length < 13) throw new ImageDecodeException("GIF is truncated in its screen descriptor");
        int screenW = u16(b, 6), screenH = u16(b, 8);
        int flags = b[10] & 255;
        int p = 13;
        byte[] global = null;
        if ((flags & 0x80) != 0) {
            int n = 3 << ((flags & 7) + 1);
            if (p + n > b.length) throw new ImageDecodeException("GIF is truncated in its global colour table");
            global = paletteIfNeeded(b, p, n);
            p += n;
        }
        int transparency = -1;
        while (true) {
            if (p >= b.length) throw new ImageDecodeException("GIF is truncated before its first image");
            int tag = b[p++] & 255;
            if (tag == ';') throw new ImageDecodeException("GIF contains no image");
            if (tag == '!') {
                if (p >= b.length) throw new ImageDecodeException("GIF extension is truncated");
                int label = b[p++] & 255;
                boolean first = true;
                while (true) { // data sub-blocks
                    if (p >= b.length) throw new ImageDecodeException("GIF extension is truncated");
                    int size = b[p++] & 255;
                    if (size == 0) break;
                    if (p + size > b.length) throw new ImageDecodeException("GIF extension is truncated");
                    if (first && label == 0xF9 && size >= 4 && (b[p] & 1) != 0) transparency = b[p + 3] & 255;
                    first = false;
                    p += size;
                }
            } else if (tag == ',') {
                break;
            } // Pillow skips unknown bytes between blocks
        }
        if (p + 9 > b.length) throw new ImageDecodeException("GIF image descriptor is truncated");
        int x0 = u16(b, p), y0 = u16(b, p + 2), fw = u16(b, p + 4), fh = u16(b, p + 6);
        int iflags = b[p + 8] & 255;
        p += 9;
        byte[] framePalette = global;
        if ((iflags & 0x80) != 0) {
            int n = 3 << ((iflags & 7) + 1);
            if (p + n > b.length) throw new ImageDecodeException("GIF is truncated in its local colour table");
            framePalette = paletteIfNeeded(b, p, n);
        }
        int width = Math.max(screenW, x0 + fw), height = Math.max(screenH, y0 + fh);
        limits.checkSize("GIF", width, height);
        limits.checkSize("GIF frame", fw, fh);
        Raster r = ImageDecoder.raster("gif", b);
        byte[] frame = RasterReader.interleaved(r, fw, fh, 1, null);
        byte[] canvas = new byte[width * height];
        if (transparency >= 0) java.util.Arrays.fill(canvas, (byte) transparency);
        for (int y = 0; y < fh; y++) System.arraycopy(frame, y * fw, canvas, (y0 + y) * width + x0, fw);
        return framePalette == null
                ? new DecodedImage(PixelMode.L, width, height, canvas, null)
                : new DecodedImage(PixelMode.P, width, height, canvas, framePalette);
    }

    /** The table as a palette, or null when entry i is (i, i, i) throughout (Pillow then uses mode "L"). */
    private static byte[] paletteIfNeeded(byte[] b, int p, int n) {
        for (int i = 0; i < n; i += 3) {
            int v = i / 3;
            if ((b[p + i] & 255) != v || (b[p + i + 1] & 255) != v || (b[p + i + 2] & 255) != v) {
                return DecodedImage.paletteWithRamp(b, p, n / 3);
            }
        }
        return null;
    }

    private static int u16(byte[] b, int p) { return (b[p] & 255) | ((b[p + 1] & 255) << 8); }
}
