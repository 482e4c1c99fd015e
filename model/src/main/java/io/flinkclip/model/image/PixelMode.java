package io.flinkclip.model.image;

/**
 * Pillow's image modes as far as CLIP preprocessing needs them. The mode decides how an image is resized
 * (palette and bilevel images with NEAREST, alpha images premultiplied, 16-bit grey in 32-bit integers) and how
 * it becomes RGB afterwards, so it must be the mode Pillow 9.4 would have opened the file in.
 */
public enum PixelMode {
    /** Bilevel ("1"): one byte per pixel holding 0 or 255. */
    BILEVEL("1", 1),
    /** Grey ("L"). */
    L("L", 1),
    /** Palette ("P"): one index byte per pixel plus a 256-entry RGB palette. */
    P("P", 1),
    /** Pillow's 32-bit integer mode "I" as it holds a 16-bit grey PNG: one big-endian u16 per pixel here. */
    I16("I", 2),
    /** Grey with alpha ("LA"). */
    LA("LA", 2),
    RGB("RGB", 3),
    RGBA("RGBA", 4),
    /** CMYK as Pillow holds it (plain, not inverted). */
    CMYK("CMYK", 4);

    private final String pilName;
    private final int bytesPerPixel;

    PixelMode(String pilName, int bytesPerPixel) {
        this.pilName = pilName;
        this.bytesPerPixel = bytesPerPixel;
    }

    /** The mode's name in Pillow. */
    public String pilName() { return pilName; }

    /** Bytes one pixel takes in {@link DecodedImage#pixels()}. */
    public int bytesPerPixel() { return bytesPerPixel; }

    /** Pillow resizes these with NEAREST whatever filter is asked for. */
    public boolean resizesNearest() { return this == P || this == BILEVEL; }

    /** Pillow resizes these premultiplied (RGBa / La) when the filter is not NEAREST. */
    public boolean hasAlpha() { return this == LA || this == RGBA; }
}
