package io.flinkclip.model.text;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy 6.3's {@code fix_encoding}: when the heuristic says a text is mojibake, re-encode it with the first
 * single-byte code page that can represent it and decode the bytes as UTF-8 (tolerating CESU-8 and Java's
 * C0 80, restoring bytes A0 that became spaces, marking lost bytes as U+FFFD); failing that, fix embedded
 * UTF-8-looking runs, Latin-1 that should be Windows-1252, and stray C1 controls. Repeats until stable.
 */
final class EncodingFixer {
    /** The code pages ftfy tries, in order. */
    private static final List<String> ENCODINGS = List.of("latin-1", "sloppy-windows-1252", "sloppy-windows-1251",
            "sloppy-windows-1250", "sloppy-windows-1253", "sloppy-windows-1254", "sloppy-windows-1257", "iso-8859-2",
            "macroman", "cp437");
    private static final int MAX_ROUNDS = 64;
    private static final java.util.Map<int[], java.util.Map<Integer, Integer>> INVERSE =
            new java.util.concurrent.ConcurrentHashMap<>();

    // Byte-level patterns run over bytes mapped 1:1 to chars U+0000..U+00FF.
    private static final Pattern ALTERED_UTF8 = Pattern.compile(
            "[\\xC2\\xC3\\xC5\\xCE\\xD0\\xD9] "
            + "|[\\xE2\\xE3] [\\x80-\\x84\\x86-\\x9F\\xA1-\\xBF]"
            + "|[\\xE0-\\xE3][\\x80-\\x84\\x86-\\x9F\\xA1-\\xBF] "
            + "|\\xF0 [\\x80-\\xBF][\\x80-\\xBF]"
            + "|\\xF0[\\x80-\\xBF] [\\x80-\\xBF]"
            + "|\\xF0[\\x80-\\xBF][\\x80-\\xBF] ");
    private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xC3 (?! |quele|quela|quilo|s )");
    private static final Pattern LOSSY_UTF8 = Pattern.compile(
            "[\\xC2-\\xDF]\\x1A"
            + "|[\\xC2-\\xC3]\\?"
            + "|\\xED[\\xA0-\\xAF][\\x1A?]\\xED[\\xB0-\\xBF][\\x1A?\\x80-\\xBF]"
            + "|\\xED[\\xA0-\\xAF][\\x1A?\\x80-\\xBF]\\xED[\\xB0-\\xBF][\\x1A?]"
            + "|[\\xE0-\\xEF][\\x1A?][\\x1A\\x80-\\xBF]"
            + "|[\\xE0-\\xEF][\\x1A\\x80-\\xBF][\\x1A?]"
            + "|[\\xF0-\\xF4][\\x1A?][\\x1A\\x80-\\xBF][\\x1A\\x80-\\xBF]"
            + "|[\\xF0-\\xF4][\\x1A\\x80-\\xBF][\\x1A?][\\x1A\\x80-\\xBF]"
            + "|[\\xF0-\\xF4][\\x1A\\x80-\\xBF][\\x1A\\x80-\\xBF][\\x1A?]"
            + "|\\x1A");
    private static final String REPLACEMENT_UTF8 = "\u00EF\u00BF\u00BD";

    private EncodingFixer() {}

    static String fixEncoding(String text) {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            String fixed = oneStep(text);
            if (fixed.equals(text)) return fixed;
            text = fixed;
        }
        return text;
    }

    private static String oneStep(String text) {
        if (text.isEmpty() || isAscii(text) || !MojibakeHeuristic.isBad(text)) return text;
        boolean latin1Possible = false;
        for (String encoding : ENCODINGS) {
            int[] page = FtfyTables.page(encoding);
            byte[] bytes = encode(text, page);
            if (bytes == null) continue;
            if (encoding.equals("latin-1")) latin1Possible = true;
            String b = latin1(bytes);
            if (!encoding.equals("macroman") && ALTERED_UTF8.matcher(b).find()) b = restoreByteA0(b);
            if (encoding.startsWith("sloppy")) b = LOSSY_UTF8.matcher(b).replaceAll(REPLACEMENT_UTF8);
            boolean variants = b.indexOf('\u00ED') >= 0 || b.indexOf('\u00C0') >= 0;
            String decoded = Utf8.decodeStrict(b, variants);
            if (decoded != null) return decoded;
        }
        if (MojibakeHeuristic.UTF8_DETECTOR.matcher(text).find()) {
            String fixed = decodeInconsistentUtf8(text);
            if (!fixed.equals(text)) return fixed;
        }
        if (latin1Possible) {
            // Latin-1 that is not Windows-1252 means C1 controls; read them as Windows-1252 if all are defined.
            String fixed = Utf8.decodeWith(latin1Bytes(text), FtfyTables.page("windows-1252"));
            if (fixed != null && !fixed.equals(text)) return fixed;
        }
        return hasC1(text) ? fixC1Controls(text) : text;
    }

    /** Fixes each embedded UTF-8-looking run that is bad on its own and shorter than the whole text. */
    private static String decodeInconsistentUtf8(String text) {
        Matcher m = MojibakeHeuristic.UTF8_DETECTOR.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String run = m.group();
            String replacement = run.length() < text.length() && MojibakeHeuristic.isBad(run) ? fixEncoding(run) : run;
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** C1 controls U+0080..U+009F → their (sloppy) Windows-1252 characters. */
    static String fixC1Controls(String text) {
        int[] page = FtfyTables.page("sloppy-windows-1252");
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            sb.append(c >= 0x80 && c <= 0x9F ? (char) page[c] : c);
        }
        return sb.toString();
    }

    static boolean hasC1(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9F) return true;
        }
        return false;
    }

    private static String restoreByteA0(String b) {
        b = A_GRAVE_WORD.matcher(b).replaceAll("\u00C3\u00A0 ");
        Matcher m = ALTERED_UTF8.matcher(b);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(m.group().replace(' ', '\u00A0')));
        m.appendTail(sb);
        return sb.toString();
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 0x80) return false;
        return true;
    }

    /** The text in the code page, or null when some character is not in it. */
    private static byte[] encode(String text, int[] page) {
        java.util.Map<Integer, Integer> inverse = INVERSE.computeIfAbsent(page, p -> {
            java.util.Map<Integer, Integer> m = new java.util.HashMap<>(512);
            for (int b = 0; b < 256; b++) if (p[b] >= 0) m.put(p[b], b);
            return m;
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            Integer b = inverse.get(c);
            if (b == null) return null;
            out.write(b);
            i += Character.charCount(c);
        }
        return out.toByteArray();
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static byte[] latin1Bytes(String text) {
        byte[] out = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) out[i] = (byte) text.charAt(i);
        return out;
    }
}
