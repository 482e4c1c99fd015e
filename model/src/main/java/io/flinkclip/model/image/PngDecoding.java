package io.flinkclip.model.image;

import java.awt.image.Raster;

/**
 * PNG in Pillow's modes (PngImagePlugin._MODES): 1-bit grey → "1", 2/4/8-bit grey → "L" (scaled to 0..255),
 * 16-bit grey → "I", 16-bit colour → high byte, palette → "P" with the PLTE entries, grey+alpha → "LA",
 * 16-bit grey+alpha → "RGBA". tRNS does not change the mode (ImageIO adds an alpha band for it, which is
 * dropped). The header chunks are parsed here, before ImageIO decodes the pixels.
 */
final class PngDecoding {
    private PngDecoding() {}

    static DecodedImage decode(byte[] b, ImageDecoder limits) {
        int pos = 8;
        if (b.length < pos + 8 + 13 + 4 || !type(b, pos + 4).equals("IHDR") || u32(b, pos) != 13) {
            throw new ImageDecodeException("PNG is truncated or does not start with an IHDR chunk");
        }
        checkCrc(b, pos, 13, "IHDR");
        long w = u32(b, pos + 8), h = u32(b, pos + 12);
        int depth = b[pos + 16] & 255, colour = b[pos + 17] & 255;
        limits.checkSize("PNG", w, h);
        int width = (int) w, height = (int) h;
        byte[] plte = null;
        int plteLen = 0;
        pos += 8 + 13 + 4;
        while (true) { // header chunks up to the first IDAT
            if (pos + 8 > b.length) throw new ImageDecodeException("PNG is truncated before its image data");
            long len = u32(b, pos);
            String t = type(b, pos + 4);
            if (len > b.length - pos - 12L) throw new ImageDecodeException("PNG chunk " + t + " is truncated");
            if (t.equals("IDAT")) break;
            checkCrc(b, pos, (int) len, t);
            if (t.equals("IEND")) throw new ImageDecodeException("PNG has no image data");
            if (t.equals("PLTE")) {
                if (len % 3 != 0 || len > 768 || len == 0) throw new ImageDecodeException("PNG palette has invalid length " + len);
                plteLen = (int) len;
                plte = java.util.Arrays.copyOfRange(b, pos + 8, pos + 8 + plteLen);
            }
            pos += 12 + (int) len;
        }
        String key = depth + "/" + colour;
        return switch (key) {
            case "1/0" -> image(PixelMode.BILEVEL, width, height, b, 1, RasterReader.scaleLut(1), null);
            case "2/0" -> image(PixelMode.L, width, height, b, 1, RasterReader.scaleLut(2), null);
            case "4/0" -> image(PixelMode.L, width, height, b, 1, RasterReader.scaleLut(4), null);
            case "8/0" -> image(PixelMode.L, width, height, b, 1, null, null);
            case "16/0" -> {
                Raster r = ImageDecoder.raster("png", b);
                byte[] px = new byte[width * height * 2];
                int[] row = new int[width * r.getNumBands()];
                for (int y = 0, o = 0; y < height; y++) {
                    r.getPixels(0, y, width, 1, row);
                    for (int x = 0; x < width; x++) {
                        int v = row[x * r.getNumBands()];
                        px[o++] = (byte) (v >> 8);
                        px[o++] = (byte) v;
                    }
                }
                yield new DecodedImage(PixelMode.I16, width, height, px, null);
            }
            case "8/2" -> image(PixelMode.RGB, width, height, b, 3, null, null);
            case "16/2" -> image(PixelMode.RGB, width, height, b, 3, RasterReader.highByteLut(), null);
            case "1/3", "2/3", "4/3", "8/3" -> {
                if (plte == null) throw new ImageDecodeException("palette PNG has no PLTE chunk");
                byte[] pal = DecodedImage.paletteWithRamp(plte, 0, plteLen / 3);
                yield image(PixelMode.P, width, height, b, 1, null, pal);
            }
            case "8/4" -> image(PixelMode.LA, width, height, b, 2, null, null);
            case "16/4" -> {
                DecodedImage la = image(PixelMode.LA, width, height, b, 2, RasterReader.highByteLut(), null);
                byte[] src = la.pixels();
                byte[] rgba = new byte[width * height * 4];
                for (int i = 0; i < width * height; i++) {
                    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = src[2 * i];
                    rgba[4 * i + 3] = src[2 * i + 1];
                }
                yield new DecodedImage(PixelMode.RGBA, width, height, rgba, null);
            }
            case "8/6" -> image(PixelMode.RGBA, width, height, b, 4, null, null);
            case "16/6" -> image(PixelMode.RGBA, width, height, b, 4, RasterReader.highByteLut(), null);
            default -> throw new ImageDecodeException("PNG has an invalid bit depth/colour type " + depth + "/" + colour);
        };
    }

    private static DecodedImage image(PixelMode mode, int w, int h, byte[] b, int bands, byte[] lut, byte[] pal) {
        Raster r = ImageDecoder.raster("png", b);
        // Palette indices and low bit depths are read raw; only the sample → byte mapping differs per case.
        return new DecodedImage(mode, w, h, RasterReader.interleaved(r, w, h, bands, lut), pal);
    }

    /** Pillow verifies the CRC of every chunk before the image data ("broken PNG file"); so do we. */
    private static void checkCrc(byte[] b, int pos, int len, String type) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, pos + 4, 4 + len);
        if (crc.getValue() != u32(b, pos + 8 + len)) {
            throw new ImageDecodeException("PNG is corrupt: bad checksum in its " + type + " chunk");
        }
    }

    private static long u32(byte[] b, int p) {
        return ((b[p] & 255L) << 24) | ((b[p + 1] & 255L) << 16) | ((b[p + 2] & 255L) << 8) | (b[p + 3] & 255L);
    }

    private static String type(byte[] b, int p) {
        return new String(b, p, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
