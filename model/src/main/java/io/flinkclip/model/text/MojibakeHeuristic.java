package io.flinkclip.model.text;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy 6.3's badness heuristic: a text "is bad" when it contains one of the character sequences that almost
 * only occur in UTF-8 mojibake (accented letters next to currency signs, box drawing next to letters, ...).
 * Also the detector of embedded UTF-8-looking runs used by {@code decode_inconsistent_utf8}.
 * Character classes come from {@link FtfyTables}. The alternatives are short sequences of single-character
 * classes, so they are compiled to bit sets and tried at every position; a {@code java.util.regex} alternation
 * of these large classes was two orders of magnitude slower.
 */
final class MojibakeHeuristic {
    /** The heuristic's alternatives; {name} stands for a character class body from the table. */
    private static final String[] BAD_SEQUENCES = {
        "[{c1}]",
        "[{bad}{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}][{bad}]",
        "[a-zA-Z][{lower_common}{upper_common}][{bad}]",
        "[{bad}][{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}]",
        "[{lower_accented}{lower_common}{box}{end_punctuation}{currency}{numeric}][{upper_accented}]",
        "[{box}{end_punctuation}{currency}{numeric}][{lower_accented}]",
        "[{lower_accented}{box}{end_punctuation}][{currency}]",
        "\\s[{upper_accented}][{currency}]",
        "[{upper_accented}{box}][{numeric}{law}]",
        "[{lower_accented}{upper_accented}{box}{currency}{end_punctuation}][{start_punctuation}][{numeric}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{box}{law}][{end_punctuation}][{start_punctuation}]",
        "[{currency}{numeric}{box}][{start_punctuation}]",
        "[a-z][{upper_accented}][{start_punctuation}{currency}]",
        "[{box}][{kaomoji}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{start_punctuation}{end_punctuation}{law}][{box}]",
        "[{box}][{end_punctuation}]",
        "[{lower_accented}{upper_accented}][{start_punctuation}{end_punctuation}]\\w",
        // the ligature œ not followed by an unaccented Latin letter
        "[\u0152\u0153][^A-Za-z]",
        // degree sign after a capital accented letter
        "[{upper_accented}]\u00B0",
        // common Windows-1252 two-character mojibake
        "[\u00C2\u00C3\u00CE\u00D0][\u20AC\u0153\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9\u00B0\u00B7\u00BB"
                + "{start_punctuation}{end_punctuation}\u2013\u2014\u00B4]",
        "\u00D7[\u00B2\u00B3]",
        // Windows-1252 mojibake of Arabic: four characters
        "[\u00D8\u00D9][{common}{currency}{bad}{numeric}{start_punctuation}\u0178\u0160\u00AE\u00B0\u00B5\u00BB]"
                + "[\u00D8\u00D9][{common}{currency}{bad}{numeric}{start_punctuation}\u0178\u0160\u00AE\u00B0\u00B5\u00BB]",
        // Windows-1252 mojibake starting South Asian three-byte sequences
        "\u00E0[\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE]",
        // MacRoman mojibake
        "\u221A[\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8]",
        "\u2248[\u00B0\u00A2]",
        "\u201A\u00C4[\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0]",
        "\u201A[\u00E2\u00F3][\u00E0\u00E4\u00B0\u00EA]",
        // Windows-1251 mojibake of U+2000.. punctuation, and of Latin-1 / Cyrillic (three characters)
        "\u0432\u0402",
        "[\u0412\u0413\u0420\u0421][{c1}{bad}{start_punctuation}{end_punctuation}{currency}\u00B0\u00B5][\u0412\u0413\u0420\u0421]",
        "\u0413\u045E\u0412\u0402\u0412.[A-Za-z ]",
        // Windows-1252 encodings of à, á and U+00A0 itself
        "\u00C3[\u00A0\u00A1]",
        "[a-z]" + "\\s?[\u00C3\u00C2][ ]",
        "^[\u00C3\u00C2][ ]",
        "[a-z.,?!{end_punctuation}]\u00C2[ {start_punctuation}{end_punctuation}]",
        // Windows-1253 mojibake
        "\u03B2\u20AC[\u2122\u00A0\u0386\u00AD\u00AE\u00B0]",
        "[\u0392\u0393\u039E\u039F][{c1}{bad}{start_punctuation}{end_punctuation}{currency}\u00B0][\u0392\u0393\u039E\u039F]",
        // Windows-1257 mojibake of U+2000.. punctuation
        "\u0101\u20AC",
    };

    /** One position of a sequence: a set of code points, possibly optional. */
    private record Element(BitSet set, boolean negated, boolean optional) {
        boolean has(int c) { return set.get(c) != negated; }
    }

    /** A sequence of elements, optionally anchored at the start of the text. */
    private record Sequence(boolean anchored, Element[] elements) {}

    /** For each BMP character, the sequences whose first element accepts it (null: none). */
    private static final Sequence[][] BY_FIRST = new Sequence[0x10000][];

    static {
        List<Sequence> all = new ArrayList<>();
        for (String p : BAD_SEQUENCES) {
            Sequence s = parse(p);
            Element first = s.elements()[0];
            // every sequence starts with a plain, required class of BMP characters; the index relies on it
            if (first.negated() || first.optional() || first.set().length() > 0x10000)
                throw new IllegalStateException("unindexable badness sequence " + p);
            all.add(s);
        }
        for (int c = 0; c < 0x10000; c++) {
            List<Sequence> hits = null;
            for (Sequence s : all) {
                if (s.elements()[0].has(c)) {
                    if (hits == null) hits = new ArrayList<>(2);
                    hits.add(s);
                }
            }
            if (hits != null) BY_FIRST[c] = hits.toArray(new Sequence[0]);
        }
    }

    /** Runs that look like UTF-8 read as a single-byte code page, not preceded by a strict continuation char. */
    static final Pattern UTF8_DETECTOR = Pattern.compile(expand(
        "(?<![{utf8_continuation_strict}])(?:[{utf8_first_of_2}][{utf8_continuation}]"
                + "|[{utf8_first_of_3}][{utf8_continuation}]{2}|[{utf8_first_of_4}][{utf8_continuation}]{3})+"));

    private MojibakeHeuristic() {}

    static boolean isBad(String text) {
        for (int i = 0; i < text.length(); i++) {
            Sequence[] candidates = BY_FIRST[text.charAt(i)];
            if (candidates == null) continue;
            for (Sequence s : candidates) {
                if ((!s.anchored() || i == 0) && matches(s.elements(), 1, text, i + 1)) return true;
            }
        }
        return false;
    }

    private static boolean matches(Element[] els, int k, String text, int i) {
        if (k == els.length) return true;
        Element e = els[k];
        if (i < text.length()) {
            int c = text.codePointAt(i);
            if (e.has(c) && matches(els, k + 1, text, i + Character.charCount(c))) return true;
        }
        return e.optional() && matches(els, k + 1, text, i);
    }

    /**
     * Parses the small pattern language of {@link #BAD_SEQUENCES}: classes "[...]" with ranges, "^" negation and
     * {name} table classes; \\s (Python's whitespace), \\w (Python's word characters), "." (anything but \\n),
     * literal characters, "?" after an element, and "^" anchoring the whole sequence.
     */
    private static Sequence parse(String p) {
        List<Element> els = new ArrayList<>();
        int i = 0;
        boolean anchored = false;
        if (p.startsWith("^")) {
            anchored = true;
            i = 1;
        }
        while (i < p.length()) {
            BitSet set = new BitSet();
            boolean negated = false;
            char c = p.charAt(i);
            if (c == '[') {
                i++;
                if (p.charAt(i) == '^') {
                    negated = true;
                    i++;
                }
                while (p.charAt(i) != ']') {
                    if (p.charAt(i) == '{') {
                        int close = p.indexOf('}', i);
                        BitSet named = FtfyTables.CLASS_SETS.get(p.substring(i + 1, close));
                        if (named == null) throw new IllegalStateException("no ftfy class " + p.substring(i + 1, close));
                        set.or(named);
                        i = close + 1;
                    } else if (p.charAt(i) == '\\') {
                        set.set(escaped(p.charAt(i + 1)));
                        i += 2;
                    } else if (i + 2 < p.length() && p.charAt(i + 1) == '-' && p.charAt(i + 2) != ']') {
                        set.set(p.charAt(i), p.charAt(i + 2) + 1);
                        i += 3;
                    } else {
                        set.set(p.charAt(i++));
                    }
                }
                i++;
            } else if (c == '\\' && p.charAt(i + 1) == 's') {
                for (int x = 0; x <= 0x3000; x++) if (PythonText.isPythonSpace(x)) set.set(x);
                i += 2;
            } else if (c == '\\' && p.charAt(i + 1) == 'w') {
                // Python's \\w: str.isalnum() or '_'; approximated by letters and numbers (incl. CJK numerals)
                for (int x = 0; x <= Character.MAX_CODE_POINT; x++) {
                    if (Character.isLetter(x) || PythonText.isNumber(x)) set.set(x);
                }
                set.set('_');
                i += 2;
            } else if (c == '.') {
                set.set('\n');
                negated = true;
                i++;
            } else {
                set.set(c);
                i++;
            }
            boolean optional = i < p.length() && p.charAt(i) == '?';
            if (optional) i++;
            els.add(new Element(set, negated, optional));
        }
        return new Sequence(anchored, els.toArray(new Element[0]));
    }

    private static int escaped(char c) {
        return switch (c) {
            case 'n' -> '\n';
            case 't' -> '\t';
            default -> c;
        };
    }

    private static String expand(String template) {
        Matcher m = Pattern.compile("\\{([a-z_0-9]+)}").matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String body = FtfyTables.CLASSES.get(m.group(1));
            if (body == null) {
                // a repetition count such as {2} is not a class name
                if (!m.group(1).chars().allMatch(Character::isDigit))
                    throw new IllegalStateException("no ftfy character class " + m.group(1));
                body = m.group();
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(body));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
