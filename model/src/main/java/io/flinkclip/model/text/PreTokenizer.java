package io.flinkclip.model.text;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIP's pre-tokenisation regex written out as a scanner over code points:
 * {@code <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}, matched
 * case-insensitively like the {@code regex} module does (on lowercased input only 's' ~ 'ſ' still matters),
 * alternatives tried in order at each position, unmatched positions (whitespace) skipped.
 */
final class PreTokenizer {
    static final String SOT = "<|startoftext|>";
    static final String EOT = "<|endoftext|>";
    /**
     * U+0345 (a combining mark) case-folds to the letter ι, so under the {@code regex} module's IGNORECASE it is
     * excluded from {@code [^\s\p{L}\p{N}]} yet not matched by {@code [\p{L}]}: no alternative matches it and
     * it is skipped like whitespace.
     */
    private static final int YPOGEGRAMMENI = 0x345;
    private static final String[] CONTRACTIONS = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};

    private PreTokenizer() {}

    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        int i = 0, n = text.length();
        while (i < n) {
            int len = literal(text, i, SOT);
            if (len < 0) len = literal(text, i, EOT);
            for (int k = 0; len < 0 && k < CONTRACTIONS.length; k++) len = literal(text, i, CONTRACTIONS[k]);
            int c = text.codePointAt(i);
            if (len < 0 && PythonText.isLetter(c)) {
                int j = i;
                while (j < n && PythonText.isLetter(text.codePointAt(j))) j += Character.charCount(text.codePointAt(j));
                len = j - i;
            }
            if (len < 0 && PythonText.isNumber(c)) len = Character.charCount(c);
            if (len < 0 && !PythonText.isRegexSpace(c) && c != YPOGEGRAMMENI) {
                int j = i;
                while (j < n) {
                    int d = text.codePointAt(j);
                    if (PythonText.isRegexSpace(d) || PythonText.isLetter(d) || PythonText.isNumber(d)
                            || d == YPOGEGRAMMENI) break;
                    j += Character.charCount(d);
                }
                len = j - i;
            }
            if (len < 0) {
                i += Character.charCount(c);
            } else {
                out.add(text.substring(i, i + len));
                i += len;
            }
        }
        return out;
    }

    /** Length matched by an ASCII literal at i (case-insensitively, as simple case folding pairs them), or -1. */
    private static int literal(String text, int i, String lit) {
        if (i + lit.length() > text.length()) return -1;
        for (int k = 0; k < lit.length(); k++) {
            char a = text.charAt(i + k), b = lit.charAt(k);
            if (a == b) continue;
            if (Character.isLetter(b) && a == Character.toUpperCase(b)) continue;
            if (b == 's' && a == '\u017F') continue; // LATIN SMALL LETTER LONG S folds to 's'
            if (b == 'k' && a == '\u212A') continue; // KELVIN SIGN folds to 'k'
            return -1;
        }
        return lit.length();
    }
}
