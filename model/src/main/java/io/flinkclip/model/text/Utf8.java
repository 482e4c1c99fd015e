package io.flinkclip.model.text;

/**
 * Strict UTF-8 decoding as Python does it (no surrogates, no overlong forms, nothing past U+10FFFF), optionally
 * with ftfy's "utf-8-variants" extensions: CESU-8 surrogate pairs and Java's C0 80 for U+0000. Bytes arrive as
 * a string of chars U+0000..U+00FF.
 */
final class Utf8 {
    private Utf8() {}

    /** The decoded text, or null when the bytes are not (variant) UTF-8. */
    static String decodeStrict(String b, boolean variants) {
        StringBuilder out = new StringBuilder(b.length());
        int n = b.length();
        for (int i = 0; i < n; ) {
            int b0 = b.charAt(i);
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            if (variants && b0 == 0xC0 && i + 1 < n && b.charAt(i + 1) == 0x80) {
                out.append('\0');
                i += 2;
                continue;
            }
            if (variants && b0 == 0xED && i + 5 < n && in(b, i + 1, 0xA0, 0xAF) && in(b, i + 2, 0x80, 0xBF)
                    && b.charAt(i + 3) == 0xED && in(b, i + 4, 0xB0, 0xBF) && in(b, i + 5, 0x80, 0xBF)) {
                int cp = ((b.charAt(i + 1) & 0x0F) << 16) + ((b.charAt(i + 2) & 0x3F) << 10)
                        + ((b.charAt(i + 4) & 0x0F) << 6) + (b.charAt(i + 5) & 0x3F) + 0x10000;
                out.appendCodePoint(cp);
                i += 6;
                continue;
            }
            int len, cp, min;
            if (b0 >= 0xC2 && b0 <= 0xDF) { len = 2; cp = b0 & 0x1F; min = 0x80; }
            else if (b0 >= 0xE0 && b0 <= 0xEF) { len = 3; cp = b0 & 0x0F; min = 0x800; }
            else if (b0 >= 0xF0 && b0 <= 0xF4) { len = 4; cp = b0 & 0x07; min = 0x10000; }
            else return null;
            if (i + len > n) return null;
            for (int k = 1; k < len; k++) {
                int c = b.charAt(i + k);
                if ((c & 0xC0) != 0x80) return null;
                cp = (cp << 6) | (c & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return null;
            out.appendCodePoint(cp);
            i += len;
        }
        return out.toString();
    }

    private static boolean in(String b, int i, int lo, int hi) {
        int c = b.charAt(i);
        return c >= lo && c <= hi;
    }

    /** Decodes bytes with a single-byte code page; null when a byte is undefined in it. */
    static String decodeWith(byte[] bytes, int[] page) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte x : bytes) {
            int cp = page[x & 0xFF];
            if (cp < 0) return null;
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
