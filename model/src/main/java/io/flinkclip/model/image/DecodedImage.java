package io.flinkclip.model.image;

import java.util.Objects;

/**
 * A decoded image in Pillow's mode semantics: row-major, interleaved, {@code mode.bytesPerPixel()} bytes per
 * pixel. {@code palette} is 768 bytes (256 RGB entries) for {@link PixelMode#P} and null otherwise; entries a
 * file does not define hold Pillow's default grey ramp (i, i, i).
 */
public record DecodedImage(PixelMode mode, int width, int height, byte[] pixels, byte[] palette) {

    public DecodedImage {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(pixels, "pixels");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("empty image " + width + "x" + height);
        if ((long) width * height * mode.bytesPerPixel() != pixels.length) {
            throw new IllegalArgumentException(mode + " " + width + "x" + height + " needs "
                    + (long) width * height * mode.bytesPerPixel() + " bytes, got " + pixels.length);
        }
        if ((mode == PixelMode.P) != (palette != null)) {
            throw new IllegalArgumentException("a palette is required for mode P and only for it");
        }
        if (palette != null && palette.length != 768) {
            throw new IllegalArgumentException("palette must have 256 RGB entries, got " + palette.length + " bytes");
        }
    }

    /** Bytes per pixel. */
    public int channels() { return mode.bytesPerPixel(); }

    /** A 256-entry palette whose first {@code rgb.length / 3} entries come from {@code rgb}, the rest a grey ramp. */
    public static byte[] paletteWithRamp(byte[] rgb, int offset, int entries) {
        byte[] pal = new byte[768];
        int n = Math.min(entries, 256);
        System.arraycopy(rgb, offset, pal, 0, n * 3);
        for (int i = n; i < 256; i++) pal[3 * i] = pal[3 * i + 1] = pal[3 * i + 2] = (byte) i;
        return pal;
    }
}
