package io.flinkclip.model.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Splits a text batch into groups of rows of similar length. The text tower runs every row of a batch up to
 * the batch's longest pooled position, so one long caption makes all short ones pay for its length; rows
 * encode independently (causal mask, per-row ops), so regrouping is exact. Groups minimise
 * Σ (rows × length + {@link #GROUP_COST}) over length-sorted rows by dynamic programming.
 */
public final class TextBatches {
    /**
     * Fixed cost of one extra forward pass, in token-rows: each pass streams all packed text weights from
     * memory once (~150 MB for ViT-B/32's text tower), about the time of a dozen token-rows of compute.
     */
    static final int GROUP_COST = 16;

    private TextBatches() {}

    /**
     * @param lengths tokens each row must run (pooled position + 1)
     * @param maxRows the most rows per group
     * @return groups of row indices (each group ascending by length), covering every row once
     */
    public static int[][] plan(int[] lengths, int maxRows) {
        int n = lengths.length;
        if (maxRows < 1) throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
        // best[j]: least cost of the first j sorted rows; a group (i, j] costs (j − i) · len(j − 1) + GROUP_COST
        long[] best = new long[n + 1];
        int[] cut = new int[n + 1];
        for (int j = 1; j <= n; j++) {
            best[j] = Long.MAX_VALUE;
            for (int i = Math.max(0, j - maxRows); i < j; i++) {
                long c = best[i] + (long) (j - i) * lengths[order[j - 1]] + GROUP_COST;
                if (c < best[j]) {
                    best[j] = c;
                    cut[j] = i;
                }
            }
        }
        List<int[]> groups = new ArrayList<>();
        for (int j = n; j > 0; j = cut[j]) {
            int[] g = new int[j - cut[j]];
            for (int k = 0; k < g.length; k++) g[k] = order[cut[j] + k];
            groups.add(0, g);
        }
        return groups.toArray(int[][]::new);
    }
}
