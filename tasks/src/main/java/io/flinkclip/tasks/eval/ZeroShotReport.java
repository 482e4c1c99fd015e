package io.flinkclip.tasks.eval;

/**
 * Zero-shot results. {@code top5} is top-min(5, classes).
 */
public record ZeroShotReport(String dataset, int samples, int templates, double top1, double top5, double meanPerClassAccuracy,
                             ConfusionMatrix confusion) implements EvalReport {
    @Override
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("zero-shot classification: ").append(dataset).append('\n');
        sb.append(String.format("  samples %d, classes %d, templates %d%n", samples, confusion.classes(), templates));
        sb.append(String.format("  top-1 accuracy          %7.2f%%%n", 100 * top1));
        sb.append(String.format("  top-5 accuracy          %7.2f%%%n", 100 * top5));
        sb.append(String.format("  mean per-class accuracy %7.2f%%%n", 100 * meanPerClassAccuracy));
        Reports.appendPerClass(sb, confusion);
        return sb.toString();
    }

    /** Writes the confusion matrix as a labelled PNG heat map. */
    public void writeConfusionPng(java.nio.file.Path png) throws java.io.IOException {
        ConfusionMatrixImage.write(confusion, "zero-shot " + dataset, png);
    }

    @Override
    public String toString() { return toText(); }
}
