package io.flinkclip.tasks.eval;

import io.flinkclip.tasks.probe.LogisticRegressionProbe;
import io.flinkclip.tasks.probe.RegularizationSearch;

/** Linear-probe results: the probe, how C was chosen, and test-set accuracy. {@code shots} 0 means all samples. */
public record LinearProbeReport(String dataset, int shots, int trainSamples, int testSamples, RegularizationSearch.Result search,
                                LogisticRegressionProbe probe, double testAccuracy, double meanPerClassAccuracy,
                                ConfusionMatrix confusion) implements EvalReport {
    @Override
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("linear probe: ").append(dataset).append(shots > 0 ? " (" + shots + "-shot)" : "").append('\n');
        sb.append(String.format("  train %d, test %d, classes %d%n", trainSamples, testSamples, confusion.classes()));
        sb.append(String.format("  chosen C %.4g (validation accuracy %.2f%%, %d fits)%n", search.bestC(), 100 * search.bestValidationAccuracy(), search.trials().size()));
        sb.append(String.format("  test accuracy           %7.2f%%%n", 100 * testAccuracy));
        sb.append(String.format("  mean per-class accuracy %7.2f%%%n", 100 * meanPerClassAccuracy));
        Reports.appendPerClass(sb, confusion);
        return sb.toString();
    }

    /** Writes the test-set confusion matrix as a labelled PNG heat map. */
    public void writeConfusionPng(java.nio.file.Path png) throws java.io.IOException {
        ConfusionMatrixImage.write(confusion, "linear probe " + dataset, png);
    }

    @Override
    public String toString() { return toText(); }
}
