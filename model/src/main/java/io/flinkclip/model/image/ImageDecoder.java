package io.flinkclip.model.image;

import java.awt.image.Raster;

/**
 * Encoded PNG, JPEG, GIF or BMP bytes → {@link DecodedImage} in the mode Pillow 9.4 opens the file in. The
 * dimensions are read from the header before any pixel is decoded, and images with more than
 * {@link #maxPixels()} pixels (Pillow's MAX_IMAGE_PIXELS by default) are refused, so a decompression bomb
 * costs nothing. Every failure is an {@link ImageDecodeException} naming the problem. Thread-safe.
 *
 * <p>Known differences from Pillow: WebP, TIFF and other formats Pillow also reads are refused, and so are
 * arithmetic-coded JPEGs (ImageIO's libjpeg lacks them). Like Pillow, a JPEG without its final EOI marker is
 * treated as truncated.
 */
public final class ImageDecoder implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** Pillow's MAX_IMAGE_PIXELS: 1 GiB / 4 bytes / 3. */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    private final long maxPixels;

    public ImageDecoder() { this(DEFAULT_MAX_PIXELS); }

    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        this.maxPixels = maxPixels;
    }

    public long maxPixels() { return maxPixels; }

    public DecodedImage decode(byte[] encoded) {
        if (encoded == null || encoded.length == 0) throw new ImageDecodeException("empty image data");
        return switch (ImageFormat.sniff(encoded)) {
            case PNG -> PngDecoding.decode(encoded, this);
            case JPEG -> JpegDecoding.decode(encoded, this);
            case GIF -> GifDecoding.decode(encoded, this);
            case BMP -> BmpDecoding.decode(encoded, this);
        };
    }

    /** Refuses empty or too large dimensions; called with header values before decoding. */
    void checkSize(String format, long width, long height) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(format + " header gives an empty size " + width + "x" + height);
        }
        if (width * height > maxPixels) {
            throw new ImageDecodeException(format + " image is " + width + "x" + height + " = " + width * height
                    + " pixels, more than the limit of " + maxPixels + " (possible decompression bomb)");
        }
        if (width * height * 4 > Integer.MAX_VALUE - 16) {
            throw new ImageDecodeException(format + " image " + width + "x" + height + " is too large for one array");
        }
    }

    static Raster raster(String format, byte[] bytes) { return RasterReader.read(format, bytes); }
}
