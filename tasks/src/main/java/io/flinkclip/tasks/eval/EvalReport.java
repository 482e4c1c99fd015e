package io.flinkclip.tasks.eval;

/** A finished evaluation; {@link #toText()} is what {@code bin/clip eval} prints. */
public interface EvalReport {
    String toText();
}
