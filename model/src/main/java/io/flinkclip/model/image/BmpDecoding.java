package io.flinkclip.model.image;

import java.awt.image.Raster;

/**
 * BMP as Pillow 9.4's BmpImagePlugin sees it: 24-bit → RGB, 32-bit → RGB (the fourth byte ignored) unless
 * BITFIELDS masks include alpha (→ RGBA), 16-bit → RGB with 5/6-bit channels scaled v·255/max, 1/4/8-bit →
 * "P", except that a palette of exact greys (black/white for 2 colours, i for entry i otherwise) makes the
 * image "1" or "L". The header is parsed here; ImageIO decodes the rows (including RLE).
 */
final class BmpDecoding {
    private BmpDecoding() {}

    static DecodedImage decode(byte[] b, ImageDecoder limits) {
        if (b.length < 26) throw new ImageDecodeException("BMP is truncated in its header");
        int headerSize = (int) u32(b, 14);
        long w, h;
        int bits, compression = 0, paletteEntrySize;
        long colors = 0, aMask = 0;
        if (headerSize == 12) {
            w = u16(b, 18);
            h = u16(b, 20);
            bits = u16(b, 24);
            paletteEntrySize = 3;
        } else if (headerSize == 40 || headerSize == 64 || headerSize == 108 || headerSize == 124) {
            if (b.length < 14 + headerSize) throw new ImageDecodeException("BMP is truncated in its header");
            w = (int) u32(b, 18);
            h = Math.abs((long) (int) u32(b, 22)); // negative height = rows stored top-down
            bits = u16(b, 28);
            compression = (int) u32(b, 30);
            colors = u32(b, 46);
            if (headerSize >= 108 && compression == 3) aMask = u32(b, 14 + 52);
            paletteEntrySize = 4;
        } else {
            throw new ImageDecodeException("unsupported BMP header size " + headerSize);
        }
        limits.checkSize("BMP", w, h);
        int width = (int) w, height = (int) h;
        if (compression != 0 && compression != 1 && compression != 2 && compression != 3) {
            throw new ImageDecodeException("unsupported BMP compression " + compression);
        }
        if (compression == 0 || compression == 3) { // uncompressed rows: the file must hold all of them
            long stride = ((w * bits + 31) >> 3) & ~3L;
            long needed = u32(b, 10) + stride * (h - 1) + (w * bits + 7) / 8; // the last row's padding may be absent
            if (needed > b.length) {
                throw new ImageDecodeException("BMP is truncated: " + needed + " bytes needed, " + b.length + " present");
            }
        }
        return switch (bits) {
            case 1, 4, 8 -> paletted(b, width, height, bits, colors, headerSize, paletteEntrySize);
            case 16 -> {
                Raster r = ImageDecoder.raster("bmp", b);
                byte[] px = new byte[width * height * 3];
                int[] row = new int[width * r.getNumBands()];
                int[] max = new int[3];
                for (int c = 0; c < 3; c++) max[c] = (1 << r.getSampleModel().getSampleSize(c)) - 1;
                for (int y = 0, o = 0; y < height; y++) {
                    r.getPixels(0, y, width, 1, row);
                    for (int x = 0; x < width; x++) {
                        for (int c = 0; c < 3; c++) px[o++] = (byte) (row[x * r.getNumBands() + c] * 255 / max[c]);
                    }
                }
                yield new DecodedImage(PixelMode.RGB, width, height, px, null);
            }
            case 24 -> rgb(b, width, height, PixelMode.RGB);
            case 32 -> rgb(b, width, height, aMask != 0 ? PixelMode.RGBA : PixelMode.RGB);
            default -> throw new ImageDecodeException("unsupported BMP bit depth " + bits);
        };
    }

    private static DecodedImage rgb(byte[] b, int w, int h, PixelMode mode) {
        Raster r = ImageDecoder.raster("bmp", b);
        return new DecodedImage(mode, w, h, RasterReader.interleaved(r, w, h, mode.bytesPerPixel(), null), null);
    }

    private static DecodedImage paletted(byte[] b, int w, int h, int bits, long colors, int headerSize, int entry) {
        int n = colors == 0 ? 1 << bits : (int) Math.min(colors, 1 << bits);
        int p = 14 + headerSize;
        if (p + (long) n * entry > b.length) throw new ImageDecodeException("BMP is truncated in its palette");
        byte[] rgb = new byte[n * 3];
        boolean grey = true;
        for (int i = 0; i < n; i++) {
            int q = p + i * entry; // stored B, G, R
            rgb[3 * i] = b[q + 2];
            rgb[3 * i + 1] = b[q + 1];
            rgb[3 * i + 2] = b[q];
            int expect = n == 2 ? (i == 0 ? 0 : 255) : i;
            for (int c = 0; c < 3; c++) grey &= (b[q + c] & 255) == expect;
        }
        Raster r = ImageDecoder.raster("bmp", b);
        byte[] idx = RasterReader.interleaved(r, w, h, 1, null);
        if (grey && n == 2) {
            for (int i = 0; i < idx.length; i++) idx[i] = idx[i] == 0 ? 0 : (byte) 255;
            return new DecodedImage(PixelMode.BILEVEL, w, h, idx, null);
        }
        if (grey) return new DecodedImage(PixelMode.L, w, h, idx, null);
        return new DecodedImage(PixelMode.P, w, h, idx, DecodedImage.paletteWithRamp(rgb, 0, n));
    }

    private static int u16(byte[] b, int p) { return (b[p] & 255) | ((b[p + 1] & 255) << 8); }

    private static long u32(byte[] b, int p) {
        return (b[p] & 255L) | ((b[p + 1] & 255L) << 8) | ((b[p + 2] & 255L) << 16) | ((b[p + 3] & 255L) << 24);
    }
}
