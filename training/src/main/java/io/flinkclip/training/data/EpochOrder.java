package io.flinkclip.training.data;

import java.io.Serializable;
import java.util.SplittableRandom;

/** The order pairs are visited in: a seeded Fisher–Yates permutation per epoch (or identity), so replays agree. */
public record EpochOrder(long size, long seed, boolean shuffle) implements Serializable {
    public EpochOrder {
        if (size <= 0 || size > Integer.MAX_VALUE) throw new IllegalArgumentException("dataset size must be in [1, 2^31), got " + size);
    }

    /** perm[i] = dataset position visited i-th in {@code epoch}. */
    public int[] permutation(long epoch) {
        int n = (int) size;
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        if (!shuffle) return p;
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }
}
