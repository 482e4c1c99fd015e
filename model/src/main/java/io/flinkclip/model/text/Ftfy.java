package io.flinkclip.model.text;

import java.text.Normalizer;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A port of ftfy 6.3's {@code fix_text} with its default configuration, which is what CLIP runs on every
 * caption. The text is fixed line by line; each line repeats, until nothing changes: HTML entity decoding
 * (only "&amp;name;" forms, and not once a '<' has been seen), mojibake repair ({@link EncodingFixer}), C1
 * controls → Windows-1252, Latin ligatures and fullwidth/halfwidth forms taken apart, curly quotes
 * straightened, line breaks → '\n', surrogates fixed, terminal escapes and invisible control characters
 * removed, NFC. ftfy is (c) Robyn Speer, Apache License 2.0; this is a re-implementation of its behaviour.
 */
final class Ftfy {
    private static final int MAX_SEGMENT = 1_000_000;
    private static final int MAX_ROUNDS = 64;
    private static final Pattern ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B\\[[\\p{Nd};]*[a-zA-Z]");
    /** "&name;" → text, plus all-caps spellings of lowercase names that are not entities themselves. */
    private static final Map<String, String> ENTITIES = ftfyEntities();
    private static final Map<Integer, String> LIGATURES = Map.ofEntries(
            Map.entry(0x132, "IJ"), Map.entry(0x133, "ij"), Map.entry(0x149, "\u02BCn"),
            Map.entry(0x1F1, "DZ"), Map.entry(0x1F2, "Dz"), Map.entry(0x1F3, "dz"),
            Map.entry(0x1C4, "D\u017D"), Map.entry(0x1C5, "D\u017E"), Map.entry(0x1C6, "d\u017E"),
            Map.entry(0x1C7, "LJ"), Map.entry(0x1C8, "Lj"), Map.entry(0x1C9, "lj"),
            Map.entry(0x1CA, "NJ"), Map.entry(0x1CB, "Nj"), Map.entry(0x1CC, "nj"),
            Map.entry(0xFB00, "ff"), Map.entry(0xFB01, "fi"), Map.entry(0xFB02, "fl"), Map.entry(0xFB03, "ffi"),
            Map.entry(0xFB04, "ffl"), Map.entry(0xFB05, "\u017Ft"), Map.entry(0xFB06, "st"));
    /** U+3000 and the fullwidth/halfwidth forms U+FF01..U+FFEF → their NFKC forms. */
    private static final String[] WIDTH = widthMap();

    private Ftfy() {}

    static String fixText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescape = true;
        int pos = 0;
        while (pos < text.length()) {
            int brk = text.indexOf('\n', pos) + 1;
            if (brk == 0) brk = text.length();
            if (brk - pos > MAX_SEGMENT) {
                brk = pos + MAX_SEGMENT;
                if (Character.isHighSurrogate(text.charAt(brk - 1))) brk--;
            }
            String segment = text.substring(pos, brk);
            // ftfy treats text containing '<' as HTML and stops decoding entities from there on
            if (unescape && segment.indexOf('<') >= 0) unescape = false;
            out.append(fixSegment(segment, unescape));
            pos = brk;
        }
        return out.toString();
    }

    static String fixSegment(String text, boolean unescape) {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            String orig = text;
            if (unescape) text = unescapeHtml(text);
            text = EncodingFixer.fixEncoding(text);
            if (EncodingFixer.hasC1(text)) text = EncodingFixer.fixC1Controls(text);
            text = translate(text);
            text = fixLineBreaks(text);
            text = TextCleaner.replaceLoneSurrogates(text);
            if (text.indexOf('\u001B') >= 0) text = ANSI_ESCAPE.matcher(text).replaceAll("");
            text = removeControlChars(text);
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(orig)) return text;
        }
        return text;
    }

    /** ftfy's conservative entity decoding: only complete "&...;" references. */
    static String unescapeHtml(String text) {
        if (text.indexOf('&') < 0) return text;
        Matcher m = ENTITY.matcher(text);
        StringBuilder sb = new StringBuilder(text.length());
        while (m.find()) {
            String ref = m.group();
            String rep = ENTITIES.get(ref);
            if (rep == null && ref.startsWith("&#")) {
                String un = HtmlUnescape.unescape(ref);
                rep = un.indexOf(';') >= 0 ? ref : un;
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(rep == null ? ref : rep));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Ligatures, character width and curly quotes: per-code-point replacements in one pass. */
    private static String translate(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            int n = Character.charCount(c);
            String rep = null;
            if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B)) rep = "'";
            else if (c >= 0x201C && c <= 0x201F) rep = "\"";
            else if (c == 0x3000) rep = " ";
            else if (c >= 0xFF01 && c <= 0xFFEF) rep = WIDTH[c - 0xFF01];
            else if ((c >= 0x132 && c <= 0x1F3) || (c >= 0xFB00 && c <= 0xFB06)) {
                rep = LIGATURES.get(c);
                // ftfy uncurls quotes after splitting ligatures, so ŉ ends up as "'n"
                if (rep != null) rep = rep.replace('\u02BC', '\'');
            }
            if (rep != null && sb == null) sb = new StringBuilder(text.length()).append(text, 0, i);
            if (sb != null) {
                if (rep != null) sb.append(rep);
                else sb.append(text, i, i + n);
            }
            i += n;
        }
        return sb == null ? text : sb.toString();
    }

    private static String fixLineBreaks(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n').replace('\u2029', '\n')
                .replace('\u0085', '\n');
    }

    /** Drops C0 controls other than \t \n \f \r, DEL, deprecated Arabic format controls, BOM, U+FFF9..U+FFFC. */
    private static String removeControlChars(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean drop = (c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F
                    || (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
            if (drop && sb == null) sb = new StringBuilder(text.length()).append(text, 0, i);
            if (sb != null && !drop) sb.append(c);
        }
        return sb == null ? text : sb.toString();
    }

    private static String[] widthMap() {
        String[] map = new String[0xFFEF - 0xFF01 + 1];
        for (int c = 0xFF01; c <= 0xFFEF; c++) {
            String s = Character.toString(c);
            String k = Normalizer.normalize(s, Normalizer.Form.NFKC);
            map[c - 0xFF01] = k.equals(s) ? null : k;
        }
        return map;
    }

    private static Map<String, String> ftfyEntities() {
        Map<String, String> m = new HashMap<>();
        for (Map.Entry<String, String> e : HtmlUnescape.ENTITIES.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(";")) continue;
            m.put("&" + name, e.getValue());
        }
        for (Map.Entry<String, String> e : HtmlUnescape.ENTITIES.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(";") || !name.equals(name.toLowerCase(Locale.ROOT))) continue;
            String upper = "&" + name.toUpperCase(Locale.ROOT);
            if (HtmlUnescape.unescape(upper).equals(upper)) m.put(upper, e.getValue().toUpperCase(Locale.ROOT));
        }
        return Map.copyOf(m);
    }
}
