package io.flinkclip.tasks.eval;

import java.util.List;

/** Counts of (true class, predicted class) pairs, with the accuracies derived from them. */
public final class ConfusionMatrix {
    private final List<String> classNames;
    private final long[][] counts;

    public ConfusionMatrix(List<String> classNames) {
        if (classNames.isEmpty()) throw new IllegalArgumentException("no classes");
        this.classNames = List.copyOf(classNames);
        this.counts = new long[classNames.size()][classNames.size()];
    }

    public static ConfusionMatrix of(List<String> classNames, int[] truth, int[] predicted) {
        if (truth.length != predicted.length) throw new IllegalArgumentException(truth.length + " labels but " + predicted.length + " predictions");
        ConfusionMatrix m = new ConfusionMatrix(classNames);
        for (int i = 0; i < truth.length; i++) m.add(truth[i], predicted[i]);
        return m;
    }

    public void add(int truth, int predicted) {
        int k = classNames.size();
        if (truth < 0 || truth >= k || predicted < 0 || predicted >= k) throw new IllegalArgumentException("class pair (" + truth + ", " + predicted + ") outside [0, " + k + ")");
        counts[truth][predicted]++;
    }

    public List<String> classNames() { return classNames; }

    public int classes() { return classNames.size(); }

    public long count(int truth, int predicted) { return counts[truth][predicted]; }

    public long total() {
        long t = 0;
        for (long[] row : counts) for (long c : row) t += c;
        return t;
    }

    public long support(int truth) {
        long t = 0;
        for (long c : counts[truth]) t += c;
        return t;
    }

    /** Fraction on the diagonal (top-1 accuracy). */
    public double accuracy() {
        long diag = 0;
        for (int i = 0; i < counts.length; i++) diag += counts[i][i];
        long t = total();
        return t == 0 ? Double.NaN : diag / (double) t;
    }

    /** Recall of class {@code c} (NaN when it has no samples). */
    public double classAccuracy(int c) {
        long s = support(c);
        return s == 0 ? Double.NaN : counts[c][c] / (double) s;
    }

    /** Mean over the classes that have samples of their accuracy (the CLIP paper's metric for e.g. Pets, Flowers). */
    public double meanPerClassAccuracy() {
        double sum = 0;
        int n = 0;
        for (int c = 0; c < counts.length; c++) {
            if (support(c) > 0) {
                sum += classAccuracy(c);
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
