package io.flinkclip.training.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Training report files: the per-step metrics as CSV, a PNG of the loss curve, and a PNG of held-out accuracy.
 * History rows are {step, loss, lr, logit scale, grad norm}; accuracy rows {step, accuracy in [0, 1]}.
 */
public final class TrainingReport {
    private TrainingReport() {}

    public static void writeCsv(List<double[]> history, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("step,loss,lr,logit_scale,grad_norm\n");
        for (double[] h : history) {
            sb.append((long) h[0]);
            for (int k = 1; k < h.length; k++) sb.append(',').append(String.format(Locale.ROOT, "%.9g", h[k]));
            sb.append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    public static void writeAccuracyCsv(List<double[]> accuracy, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("step,accuracy\n");
        for (double[] a : accuracy) sb.append((long) a[0]).append(',').append(String.format(Locale.ROOT, "%.6f", a[1])).append('\n');
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    /** Loss per step plus its moving average over a 5% window (at least 1 step). */
    public static void writeLossPlot(List<double[]> history, Path file) throws IOException {
        double[][] raw = new double[history.size()][];
        for (int i = 0; i < raw.length; i++) raw[i] = new double[]{history.get(i)[0], history.get(i)[1]};
        int w = Math.max(1, raw.length / 20);
        double[][] smooth = new double[raw.length][];
        double s = 0;
        for (int i = 0; i < raw.length; i++) {
            s += raw[i][1];
            if (i >= w) s -= raw[i - w][1];
            smooth[i] = new double[]{raw[i][0], s / Math.min(i + 1, w)};
        }
        new LinePlot("Contrastive loss", "step", "loss").add("loss", raw).add("moving average", smooth).write(file, 800, 450);
    }

    public static void writeAccuracyPlot(List<double[]> accuracy, String what, Path file) throws IOException {
        new LinePlot("Held-out accuracy", "step", "accuracy").add(what, accuracy.toArray(double[][]::new)).write(file, 800, 450);
    }
}
