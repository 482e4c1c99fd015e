package io.flinkclip.model.text;

/**
 * CLIP's {@code whitespace_clean(basic_clean(text)).lower()}: optional ftfy-style fixing, {@code html.unescape}
 * twice, {@code strip()}, {@code \s+ → ' '}, {@code strip()}, Python {@code lower()}.
 */
final class TextCleaner {
    private TextCleaner() {}

    static String clean(String text, boolean ftfy) {
        // Python would reject lone surrogates when encoding to UTF-8; ftfy turns them into U+FFFD, and so do we
        // when ftfy is off, rather than letting Java's encoder write '?'.
        String t = ftfy ? Ftfy.fixText(text) : replaceLoneSurrogates(text);
        t = HtmlUnescape.unescape(HtmlUnescape.unescape(t));
        t = PythonText.strip(t);
        t = PythonText.collapseWhitespace(t);
        t = PythonText.strip(t);
        return PythonText.lower(t);
    }

    /** Valid surrogate pairs stay; every unpaired surrogate becomes U+FFFD. */
    static String replaceLoneSurrogates(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) {
                if (sb != null) sb.append(c);
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                if (sb != null) sb.append(c).append(s.charAt(i + 1));
                i++;
                continue;
            }
            if (sb == null) sb = new StringBuilder(s.length()).append(s, 0, i);
            sb.append('\uFFFD');
        }
        return sb == null ? s : sb.toString();
    }
}
