package io.flinkclip.tasks.data;

import java.util.List;

/** A labelled image dataset: encoded image bytes (what {@code Clip.pixels}/{@code embedImages} take) and a class per sample. */
public interface Dataset {
    int size();

    List<String> classNames();

    /** Class index of sample {@code i}, in [0, classNames().size()). */
    int label(int i);

    /** Encoded image (PNG, JPEG, …) of sample {@code i}; may read from disk, so callers should not hold them all. */
    byte[] image(int i);

    /** A short name for reports (folder or file name). */
    default String name() { return getClass().getSimpleName(); }

    /** Where sample {@code i} comes from, for error messages. */
    default String describe(int i) { return "sample " + i; }

    /** All labels, in sample order. */
    default int[] labels() {
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) out[i] = label(i);
        return out;
    }
}
