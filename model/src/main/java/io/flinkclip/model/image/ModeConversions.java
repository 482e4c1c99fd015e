package io.flinkclip.model.image;

/** Pillow 9.4's pixel conversions ({@code libImaging/Convert.c}) that CLIP preprocessing goes through. */
final class ModeConversions {
    private ModeConversions() {}

    /** Pillow's MULDIV255: round(a·b/255) in integers. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /** RGBA → RGBa / LA → La: colour channels multiplied by alpha (alpha is the last byte of each pixel). */
    static byte[] premultiply(byte[] px, int ch) {
        byte[] out = new byte[px.length];
        for (int p = 0; p < px.length; p += ch) {
            int a = px[p + ch - 1] & 255;
            for (int c = 0; c < ch - 1; c++) out[p + c] = (byte) mulDiv255(px[p + c] & 255, a);
            out[p + ch - 1] = (byte) a;
        }
        return out;
    }

    /** RGBa → RGBA / La → LA in place: colour·255/alpha with integer division, clipped; alpha 0 or 255 kept. */
    static void unpremultiply(byte[] px, int ch) {
        for (int p = 0; p < px.length; p += ch) {
            int a = px[p + ch - 1] & 255;
            if (a == 0 || a == 255) continue;
            for (int c = 0; c < ch - 1; c++) px[p + c] = (byte) Math.min(255, (255 * (px[p + c] & 255)) / a);
        }
    }

    /** convert("RGB") of n pixels in an 8-bit mode; alpha is dropped without compositing. */
    static byte[] toRgb(PixelMode mode, byte[] px, byte[] palette, int n) {
        byte[] rgb = new byte[n * 3];
        switch (mode) {
            case RGB -> System.arraycopy(px, 0, rgb, 0, n * 3);
            case RGBA -> {
                for (int i = 0; i < n; i++) {
                    rgb[3 * i] = px[4 * i];
                    rgb[3 * i + 1] = px[4 * i + 1];
                    rgb[3 * i + 2] = px[4 * i + 2];
                }
            }
            case L, BILEVEL -> {
                for (int i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = px[i];
            }
            case LA -> {
                for (int i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = px[2 * i];
            }
            case P -> {
                for (int i = 0; i < n; i++) {
                    int e = (px[i] & 255) * 3;
                    rgb[3 * i] = palette[e];
                    rgb[3 * i + 1] = palette[e + 1];
                    rgb[3 * i + 2] = palette[e + 2];
                }
            }
            case CMYK -> {
                for (int i = 0; i < n; i++) {
                    int nk = 255 - (px[4 * i + 3] & 255);
                    for (int c = 0; c < 3; c++) {
                        int v = nk - mulDiv255(px[4 * i + c] & 255, nk);
                        rgb[3 * i + c] = (byte) Math.max(0, Math.min(255, v));
                    }
                }
            }
            case I16 -> throw new IllegalArgumentException("mode I is converted from its int values");
        }
        return rgb;
    }

    /** convert("RGB") from mode "I": values clipped to 0..255 and replicated. */
    static byte[] intToRgb(int[] values) {
        byte[] rgb = new byte[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            int v = values[i];
            byte b = (byte) (v <= 0 ? 0 : Math.min(v, 255));
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = b;
        }
        return rgb;
    }
}
