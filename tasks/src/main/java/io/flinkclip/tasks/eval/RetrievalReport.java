package io.flinkclip.tasks.eval;

import io.flinkclip.tasks.retrieval.RetrievalMetrics;

import java.util.Map;

/** Recall@K for text→image and image→text retrieval. */
public record RetrievalReport(String dataset, int images, int captions, RetrievalMetrics.Recall recall) implements EvalReport {
    @Override
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("retrieval: ").append(dataset).append('\n');
        sb.append(String.format("  images %d, captions %d%n", images, captions));
        line(sb, "text→image", recall.textToImage());
        line(sb, "image→text", recall.imageToText());
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, Map<Integer, Double> r) {
        sb.append("  ").append(name);
        r.forEach((k, v) -> sb.append(String.format("  R@%d %6.2f%%", k, 100 * v)));
        sb.append('\n');
    }

    @Override
    public String toString() { return toText(); }
}
