package io.flinkclip.tasks.retrieval;

import java.util.ArrayList;
import java.util.List;

/**
 * The k best (score, id) pairs seen so far, in a bounded binary min-heap whose root is the worst kept pair.
 * Order: higher score first; equal scores go to the lower id, so results do not depend on shard layout.
 */
final class TopK {
    private final int k;
    private final float[] scores;
    private final int[] ids;
    private int size;

    TopK(int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        this.k = k;
        this.scores = new float[k];
        this.ids = new int[k];
    }

    /** True when (sa, ia) ranks below (sb, ib). */
    private static boolean worse(float sa, int ia, float sb, int ib) {
        return sa < sb || (sa == sb && ia > ib);
    }

    void offer(float score, int id) {
        if (size < k) {
            int i = size++;
            scores[i] = score;
            ids[i] = id;
            siftUp(i);
        } else if (worse(scores[0], ids[0], score, id)) {
            scores[0] = score;
            ids[0] = id;
            siftDown(0);
        }
    }

    /** The minimum score a new pair needs to be considered (−∞ until the heap is full). */
    float threshold() { return size < k ? Float.NEGATIVE_INFINITY : scores[0]; }

    private void siftUp(int i) {
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!worse(scores[i], ids[i], scores[p], ids[p])) break;
            swap(i, p);
            i = p;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && worse(scores[l], ids[l], scores[m], ids[m])) m = l;
            if (r < size && worse(scores[r], ids[r], scores[m], ids[m])) m = r;
            if (m == i) return;
            swap(i, m);
            i = m;
        }
    }

    private void swap(int a, int b) {
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
        int t = ids[a];
        ids[a] = ids[b];
        ids[b] = t;
    }

    /** Best first. */
    List<SearchHit> result() {
        List<SearchHit> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) out.add(new SearchHit(ids[i], scores[i]));
        out.sort((a, b) -> worse(a.score(), a.id(), b.score(), b.id()) ? 1 : worse(b.score(), b.id(), a.score(), a.id()) ? -1 : 0);
        return out;
    }
}
