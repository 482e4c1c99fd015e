package io.flinkclip.tasks.probe;

import io.flinkclip.tasks.Vectors;

/** Labelled, L2-normalised feature rows (row-major), validated once: the probe's training input. */
public final class FeatureMatrix {
    final float[] x;
    final int[] labels;
    final int rows, dim, classes;

    /**
     * @param features one (unnormalised) embedding per sample; normalised here
     * @param labels class index per sample, in [0, classes)
     */
    public FeatureMatrix(float[][] features, int[] labels, int classes) {
        if (features.length == 0) throw new IllegalArgumentException("no training samples");
        if (features.length != labels.length) throw new IllegalArgumentException(features.length + " feature rows but " + labels.length + " labels");
        if (classes < 2) throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside [0, " + classes + ")");
        }
        this.rows = features.length;
        this.dim = features[0].length;
        this.classes = classes;
        this.labels = labels.clone();
        this.x = Vectors.flatten(Vectors.normalizedRows(features, dim), dim);
    }

    public int rows() { return rows; }

    public int dim() { return dim; }

    public int classes() { return classes; }

    public int label(int i) { return labels[i]; }
}
