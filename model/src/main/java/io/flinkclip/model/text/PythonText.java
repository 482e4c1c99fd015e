package io.flinkclip.model.text;

/**
 * The bits of CPython string semantics CLIP's cleaning relies on, stated on code points: {@code str.isspace}
 * (used by {@code strip}), the {@code regex} module's {@code \s} (Unicode White_Space, used by
 * {@code \s+ → ' '}), and {@code str.lower} (full lowercase mapping plus the final-sigma rule).
 */
final class PythonText {
    private PythonText() {}

    /** Unicode White_Space: what {@code regex}'s {@code \s} matches. */
    static boolean isRegexSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** {@code str.isspace()}: White_Space plus the information separators U+001C..U+001F (bidi class B/S). */
    static boolean isPythonSpace(int c) {
        return isRegexSpace(c) || (c >= 0x1C && c <= 0x1F);
    }

    /** {@code str.strip()} with no argument. */
    static String strip(String s) {
        int start = 0, end = s.length();
        while (start < end) {
            int c = s.codePointAt(start);
            if (!isPythonSpace(c)) break;
            start += Character.charCount(c);
        }
        while (end > start) {
            int c = s.codePointBefore(end);
            if (!isPythonSpace(c)) break;
            end -= Character.charCount(c);
        }
        return s.substring(start, end);
    }

    /** {@code regex.sub(r'\s+', ' ', s)}. */
    static String collapseWhitespace(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean inSpace = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (isRegexSpace(c)) {
                if (!inSpace) sb.append(' ');
                inSpace = true;
            } else {
                sb.appendCodePoint(c);
                inSpace = false;
            }
        }
        return sb.toString();
    }

    /**
     * {@code str.lower()}: per code point the full lowercase mapping (only U+0130 expands, to "i̇"), and
     * capital sigma becomes final ς when preceded by a cased letter and not followed by one, skipping
     * case-ignorable characters on both sides.
     */
    static String lower(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (c == 0x130) {
                sb.append("i\u0307");
            } else if (c == 0x3A3) {
                sb.append(finalSigma(s, i) ? '\u03C2' : '\u03C3');
            } else {
                sb.appendCodePoint(Character.toLowerCase(c));
            }
            i += Character.charCount(c);
        }
        return sb.toString();
    }

    private static boolean finalSigma(String s, int at) {
        int j = at;
        int c = -1;
        while (j > 0) {
            c = s.codePointBefore(j);
            j -= Character.charCount(c);
            if (!isCaseIgnorable(c)) break;
            c = -1;
        }
        if (c < 0 || !isCased(c)) return false;
        j = at + 1;
        while (j < s.length()) {
            c = s.codePointAt(j);
            if (!isCaseIgnorable(c)) return !isCased(c);
            j += Character.charCount(c);
        }
        return true;
    }

    /** Unicode Cased = Lowercase ∪ Uppercase ∪ Lt (Java's isLower/UpperCase include Other_Lower/Uppercase). */
    static boolean isCased(int c) {
        return Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c);
    }

    /** Unicode Case_Ignorable = Mn, Me, Cf, Lm, Sk, or Word_Break MidLetter / MidNumLet / Single_Quote. */
    static boolean isCaseIgnorable(int c) {
        switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT,
                 Character.MODIFIER_LETTER, Character.MODIFIER_SYMBOL -> { return true; }
            default -> { }
        }
        return switch (c) {
            case 0x27, 0x2E, 0x3A, 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52,
                 0xFE55, 0xFF07, 0xFF0E, 0xFF1A -> true;
            default -> false;
        };
    }

    static boolean isLetter(int c) {
        return Character.isLetter(c);
    }

    static boolean isNumber(int c) {
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }
}
