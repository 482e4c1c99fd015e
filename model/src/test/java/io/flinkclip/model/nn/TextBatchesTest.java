package io.flinkclip.model.nn;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Length grouping of text batches: a partition of the rows that only splits when it saves work. */
class TextBatchesTest {
    private static void assertPartition(int[][] groups, int n, int maxRows) {
        int[] seen = new int[n];
        for (int[] g : groups) {
            assertTrue(g.length >= 1 && g.length <= maxRows, "group size " + g.length);
            for (int i : g) seen[i]++;
        }
        for (int i = 0; i < n; i++) assertEquals(1, seen[i], "row " + i + " must appear exactly once");
    }

    @Test
    void equalLengthsStayOneBatch() {
        int[] len = new int[32];
        Arrays.fill(len, 7);
        int[][] g = TextBatches.plan(len, 32);
        assertEquals(1, g.length);
        assertPartition(g, 32, 32);
    }

    @Test
    void oneLongCaptionIsSplitOffFromManyShortOnes() {
        int[] len = new int[32];
        Arrays.fill(len, 8);
        len[5] = 77;
        int[][] g = TextBatches.plan(len, 32);
        assertPartition(g, 32, 32);
        assertEquals(2, g.length);
        assertArrayEquals(new int[] {5}, g[1]);
    }

    @Test
    void nearlyEqualLengthsAreNotSplitForNothing() {
        assertEquals(1, TextBatches.plan(new int[] {7, 8, 7, 9, 8, 7}, 32).length);
    }

    @Test
    void respectsTheRowLimitAndEmptyInput() {
        int[] len = new int[70];
        Arrays.fill(len, 10);
        int[][] g = TextBatches.plan(len, 32);
        assertPartition(g, 70, 32);
        assertEquals(3, g.length);
        assertEquals(0, TextBatches.plan(new int[0], 32).length);
        assertThrows(IllegalArgumentException.class, () -> TextBatches.plan(len, 0));
    }
}
