package io.flinkclip.model.text;

/** Placeholder while the ftfy port is written. */
final class Ftfy {
    private Ftfy() {}

    static String fixText(String text) {
        throw new UnsupportedOperationException("ftfy-style fixing is not implemented yet; use withFtfy(false)");
    }
}
