package io.flinkclip.model.image;

import java.awt.image.Raster;

/**
 * JPEG: the frame header (SOFn) is parsed first for the size check; ImageIO's libjpeg then decodes to RGB
 * (YCbCr, with the same fancy upsampling and integer colour conversion as Pillow's libjpeg), grey "L", or
 * four-component CMYK/YCCK → "CMYK" with Adobe's inverted polarity undone, which Pillow also always assumes.
 */
final class JpegDecoding {
    private JpegDecoding() {}

    static DecodedImage decode(byte[] b, ImageDecoder limits) {
        int[] frame = frameHeader(b);
        int height = frame[0], width = frame[1], components = frame[2];
        limits.checkSize("JPEG", width, height);
        if (components != 1 && components != 3 && components != 4) {
            throw new ImageDecodeException("JPEG with " + components + " components is not supported");
        }
        Raster r = ImageDecoder.raster("jpeg", b);
        PixelMode mode = switch (r.getNumBands()) {
            case 1 -> PixelMode.L;
            case 3 -> PixelMode.RGB;
            case 4 -> PixelMode.CMYK;
            default -> throw new ImageDecodeException("JPEG decoded to " + r.getNumBands() + " bands");
        };
        return new DecodedImage(mode, width, height,
                RasterReader.interleaved(r, width, height, mode.bytesPerPixel(), null), null);
    }

    /** {height, width, components} from the first SOFn marker before the first scan. */
    static int[] frameHeader(byte[] b) {
        int p = 2;
        while (true) {
            while (p < b.length && (b[p] & 255) != 0xFF) p++; // tolerate garbage between segments
            while (p < b.length && (b[p] & 255) == 0xFF) p++;
            if (p + 2 >= b.length) throw new ImageDecodeException("JPEG is truncated before its frame header");
            int marker = b[p] & 255;
            p++;
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; // no length
            if (marker == 0xD9 || marker == 0xDA) throw new ImageDecodeException("JPEG has no frame header before its scan data");
            int len = ((b[p] & 255) << 8) | (b[p + 1] & 255);
            if (len < 2 || p + len > b.length) throw new ImageDecodeException("JPEG segment is truncated");
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                if (len < 8) throw new ImageDecodeException("JPEG frame header is too short");
                int h = ((b[p + 3] & 255) << 8) | (b[p + 4] & 255);
                int w = ((b[p + 5] & 255) << 8) | (b[p + 6] & 255);
                return new int[] {h, w, b[p + 7] & 255};
            }
            p += len;
        }
    }
}
