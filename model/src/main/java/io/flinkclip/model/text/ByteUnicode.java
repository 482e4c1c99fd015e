package io.flinkclip.model.text;

/**
 * GPT-2/CLIP's reversible byte ↔ character table: printable Latin-1 bytes stand for themselves, the other 68
 * bytes are shifted to U+0100.. so that BPE never sees whitespace or control characters.
 */
final class ByteUnicode {
    /** Character for each byte value. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** Byte values in the order OpenAI's dict lists them, which is the order of vocabulary ids 0..255. */
    static final int[] VOCAB_ORDER = new int[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        int k = 0;
        for (int b = 0; b < 256; b++) {
            if (printable(b)) {
                BYTE_TO_CHAR[b] = (char) b;
                VOCAB_ORDER[k++] = b;
            }
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable(b)) {
                BYTE_TO_CHAR[b] = (char) (256 + n++);
                VOCAB_ORDER[k++] = b;
            }
        }
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }

    private ByteUnicode() {}

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The byte a table character stands for, or -1. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Maps UTF-8 bytes to their table characters. */
    static String encode(byte[] utf8) {
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }
}
