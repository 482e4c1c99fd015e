package io.flinkclip.model.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Python's {@code html.unescape}: HTML5 character references, including legacy names without ';' (longest
 * known prefix wins: "&amp;notit;" → "¬it;"), numeric references with the Windows-1252 remapping of 0x80..0x9F,
 * U+FFFD for 0, surrogates and values past U+10FFFF, and silent removal of other forbidden code points.
 */
final class HtmlUnescape {
    private static final String RESOURCE = "html5-entities.tsv";
    /** Entity name (with its ';' when it has one) → replacement text. */
    static final Map<String, String> ENTITIES = load();
    private static final int MAX_NAME = 32;

    private HtmlUnescape() {}

    private static Map<String, String> load() {
        Map<String, String> m = new HashMap<>(4096);
        try (InputStream in = HtmlUnescape.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int tab = line.indexOf('\t');
                StringBuilder v = new StringBuilder(2);
                for (String hex : line.substring(tab + 1).split(" ")) v.appendCodePoint(Integer.parseInt(hex, 16));
                m.put(line.substring(0, tab), v.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return Map.copyOf(m);
    }

    static String unescape(String s) {
        int amp = s.indexOf('&');
        if (amp < 0) return s;
        StringBuilder out = new StringBuilder(s.length());
        out.append(s, 0, amp);
        int i = amp;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int end = i + 1 < s.length() && s.charAt(i + 1) == '#' ? numeric(s, i, out) : named(s, i, out);
            if (end < 0) {
                out.append('&');
                i++;
            } else {
                i = end;
            }
        }
        return out.toString();
    }

    /** Handles "&#..." at i; returns the index after the reference, or -1 when the text is not one. */
    private static int numeric(String s, int i, StringBuilder out) {
        int p = i + 2;
        int radix = 10;
        if (p < s.length() && (s.charAt(p) == 'x' || s.charAt(p) == 'X')) {
            radix = 16;
            p++;
        }
        int start = p;
        long value = 0;
        while (p < s.length() && Character.digit(s.charAt(p), radix) >= 0 && s.charAt(p) < 0x80) {
            value = Math.min(value * radix + Character.digit(s.charAt(p), radix), 0x7FFF_FFFFL);
            p++;
        }
        if (p == start) return -1;
        if (p < s.length() && s.charAt(p) == ';') p++;
        out.append(codePointText(value));
        return p;
    }

    private static String codePointText(long v) {
        String mapped = windows1252Charref((int) Math.min(v, 0x100));
        if (mapped != null) return mapped;
        if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) return "\uFFFD";
        int c = (int) v;
        if ((c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || (c >= 0x7F && c <= 0x9F)
                || (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE) return "";
        return Character.toString(c);
    }

    /** The HTML5 "invalid character reference" table: NUL, CR, and C1 bytes read as Windows-1252. */
    private static String windows1252Charref(int v) {
        if (v == 0) return "\uFFFD";
        if (v == 0x0D) return "\r";
        if (v < 0x80 || v > 0x9F) return null;
        return switch (v) {
            // undefined in Windows-1252: the reference keeps the C1 control
            case 0x81, 0x8D, 0x8F, 0x90, 0x9D -> String.valueOf((char) v);
            default -> String.valueOf(Windows1252.HIGH[v - 0x80]);
        };
    }

    /** Handles "&name" at i; returns the index after what was consumed, or -1 when nothing matches. */
    private static int named(String s, int i, StringBuilder out) {
        int p = i + 1;
        int count = 0;
        while (p < s.length() && count < MAX_NAME) {
            char c = s.charAt(p);
            if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';') break;
            p += Character.isHighSurrogate(c) && p + 1 < s.length() && Character.isLowSurrogate(s.charAt(p + 1)) ? 2 : 1;
            count++;
        }
        if (count == 0) return -1;
        if (p < s.length() && s.charAt(p) == ';') p++;
        String name = s.substring(i + 1, p);
        String full = ENTITIES.get(name);
        if (full != null) {
            out.append(full);
            return p;
        }
        // Longest legacy prefix (at least two characters), as Python does; names are ASCII so char indices suffice.
        for (int x = name.length() - 1; x > 1; x--) {
            String v = ENTITIES.get(name.substring(0, x));
            if (v != null) {
                out.append(v).append(name, x, name.length());
                return p;
            }
        }
        out.append('&').append(name);
        return p;
    }
}
