package io.flinkclip.tasks.eval;

/** Shared text formatting for reports. */
final class Reports {
    /** Per-class accuracy is listed only for small class counts; larger ones belong in the PNG. */
    private static final int MAX_LISTED = 20;

    private Reports() {}

    static void appendPerClass(StringBuilder sb, ConfusionMatrix m) {
        if (m.classes() > MAX_LISTED) return;
        sb.append("  per class:\n");
        for (int c = 0; c < m.classes(); c++) {
            double a = m.classAccuracy(c);
            sb.append(String.format("    %-24s %7s  (n = %d)%n", m.classNames().get(c), Double.isNaN(a) ? "-" : String.format("%.2f%%", 100 * a), m.support(c)));
        }
    }
}
