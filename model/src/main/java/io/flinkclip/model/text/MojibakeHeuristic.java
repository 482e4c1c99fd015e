package io.flinkclip.model.text;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy 6.3's badness heuristic: a text "is bad" when it contains one of the character sequences that almost
 * only occur in UTF-8 mojibake (accented letters next to currency signs, box drawing next to letters, ...).
 * Also the detector of embedded UTF-8-looking runs used by {@code decode_inconsistent_utf8}.
 * Character classes come from {@link FtfyTables}; Python's {@code \s} and {@code \w} are spelled out.
 */
final class MojibakeHeuristic {
    private static final String PY_SPACE = "[\\t\\n\\x{0B}\\f\\r\\x{1C}-\\x{1F} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
            + "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]";
    private static final String PY_WORD = "[\\p{L}\\p{N}_]";

    /** The heuristic's alternatives; {name} stands for a character class body from the table. */
    private static final String[] BAD_SEQUENCES = {
        "[{c1}]",
        "[{bad}{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}][{bad}]",
        "[a-zA-Z][{lower_common}{upper_common}][{bad}]",
        "[{bad}][{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}]",
        "[{lower_accented}{lower_common}{box}{end_punctuation}{currency}{numeric}][{upper_accented}]",
        "[{box}{end_punctuation}{currency}{numeric}][{lower_accented}]",
        "[{lower_accented}{box}{end_punctuation}][{currency}]",
        PY_SPACE + "[{upper_accented}][{currency}]",
        "[{upper_accented}{box}][{numeric}{law}]",
        "[{lower_accented}{upper_accented}{box}{currency}{end_punctuation}][{start_punctuation}][{numeric}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{box}{law}][{end_punctuation}][{start_punctuation}]",
        "[{currency}{numeric}{box}][{start_punctuation}]",
        "[a-z][{upper_accented}][{start_punctuation}{currency}]",
        "[{box}][{kaomoji}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{start_punctuation}{end_punctuation}{law}][{box}]",
        "[{box}][{end_punctuation}]",
        "[{lower_accented}{upper_accented}][{start_punctuation}{end_punctuation}]" + PY_WORD,
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
        "\u0413\u045E\u0412\u0402\u0412[^\\n][A-Za-z ]",
        // Windows-1252 encodings of à, á and U+00A0 itself
        "\u00C3[\u00A0\u00A1]",
        "[a-z]" + PY_SPACE + "?[\u00C3\u00C2][ ]",
        "^[\u00C3\u00C2][ ]",
        "[a-z.,?!{end_punctuation}]\u00C2[ {start_punctuation}{end_punctuation}]",
        // Windows-1253 mojibake
        "\u03B2\u20AC[\u2122\u00A0\u0386\u00AD\u00AE\u00B0]",
        "[\u0392\u0393\u039E\u039F][{c1}{bad}{start_punctuation}{end_punctuation}{currency}\u00B0][\u0392\u0393\u039E\u039F]",
        // Windows-1257 mojibake of U+2000.. punctuation
        "\u0101\u20AC",
    };

    private static final Pattern BADNESS = Pattern.compile(String.join("|", expand(BAD_SEQUENCES)));

    /** Runs that look like UTF-8 read as a single-byte code page, not preceded by a strict continuation char. */
    static final Pattern UTF8_DETECTOR = Pattern.compile(expand(new String[] {
        "(?<![{utf8_continuation_strict}])(?:[{utf8_first_of_2}][{utf8_continuation}]"
                + "|[{utf8_first_of_3}][{utf8_continuation}]{2}|[{utf8_first_of_4}][{utf8_continuation}]{3})+"})[0]);

    private MojibakeHeuristic() {}

    static boolean isBad(String text) {
        return BADNESS.matcher(text).find();
    }

    private static String[] expand(String[] templates) {
        String[] out = new String[templates.length];
        for (int i = 0; i < templates.length; i++) {
            Matcher m = Pattern.compile("\\{([a-z_0-9]+)}").matcher(templates[i]);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String body = FtfyTables.CLASSES.get(m.group(1));
                if (body == null) {
                    // a repetition count such as {2} is not a class name
                    if (m.group(1).chars().allMatch(Character::isDigit)) {
                        m.appendReplacement(sb, Matcher.quoteReplacement(m.group()));
                        continue;
                    }
                    throw new IllegalStateException("no ftfy character class " + m.group(1));
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(body));
            }
            m.appendTail(sb);
            out[i] = sb.toString();
        }
        return out;
    }
}
