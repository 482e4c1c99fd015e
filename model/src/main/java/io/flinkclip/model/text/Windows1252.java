package io.flinkclip.model.text;

/** Windows-1252's bytes 0x80..0x9F (the rest of the code page equals Latin-1); undefined bytes hold U+FFFD. */
final class Windows1252 {
    static final char[] HIGH = (
            "\u20AC\uFFFD\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\uFFFD\u017D\uFFFD"
            + "\uFFFD\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\uFFFD\u017E\u0178")
            .toCharArray();

    private Windows1252() {}
}
