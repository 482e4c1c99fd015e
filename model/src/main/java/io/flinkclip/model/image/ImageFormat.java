package io.flinkclip.model.image;

/** The container formats the decoder accepts, recognised by their magic bytes (not by a file name). */
enum ImageFormat {
    PNG, JPEG, GIF, BMP;

    static ImageFormat sniff(byte[] b) {
        if (startsWith(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) return PNG;
        if (startsWith(b, 0xFF, 0xD8, 0xFF)) return JPEG;
        if (startsWith(b, 'G', 'I', 'F', '8', '7', 'a') || startsWith(b, 'G', 'I', 'F', '8', '9', 'a')) return GIF;
        if (startsWith(b, 'B', 'M')) return BMP;
        String kind = startsWith(b, 'R', 'I', 'F', 'F') ? " (RIFF/WebP?)"
                : startsWith(b, 'I', 'I', 42, 0) || startsWith(b, 'M', 'M', 0, 42) ? " (TIFF)" : "";
        throw new ImageDecodeException("unsupported image format" + kind + ": expected PNG, JPEG, GIF or BMP, "
                + "first bytes " + hex(b));
    }

    private static boolean startsWith(byte[] b, int... magic) {
        if (b.length < magic.length) return false;
        for (int i = 0; i < magic.length; i++) if ((b[i] & 255) != magic[i]) return false;
        return true;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.length); i++) sb.append(String.format("%02x", b[i] & 255));
        return sb.toString();
    }
}
