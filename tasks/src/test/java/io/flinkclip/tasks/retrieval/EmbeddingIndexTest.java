package io.flinkclip.tasks.retrieval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class EmbeddingIndexTest {
    private static float[][] random(int n, int d, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[n][d];
        for (float[] row : x) for (int j = 0; j < d; j++) row[j] = (float) r.nextGaussian();
        return x;
    }

    private static double cos(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static float[] oneHot(int d, int i) {
        float[] v = new float[d];
        v[i] = 1;
        return v;
    }

    @Test
    void topKEqualsBruteForceAcrossShardsAndQueryBlocks() {
        int n = 1000, d = 16, k = 10;
        float[][] data = random(n, d, 1), queries = random(70, d, 2);
        EmbeddingIndex index = new EmbeddingIndex(d, 64); // 16 shards, the last one partial
        index.addAll(data);
        List<List<SearchHit>> got = index.search(queries, k);
        assertEquals(queries.length, got.size());
        for (int q = 0; q < queries.length; q++) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++) order.add(i);
            double[] exact = new double[n];
            for (int i = 0; i < n; i++) exact[i] = cos(queries[q], data[i]);
            order.sort(Comparator.comparingDouble((Integer i) -> -exact[i]).thenComparingInt(i -> i));
            List<SearchHit> hits = got.get(q);
            assertEquals(k, hits.size());
            assertEquals(k, new HashSet<>(hits.stream().map(SearchHit::id).toList()).size());
            double kth = exact[order.get(k - 1)];
            for (int r = 0; r < k; r++) {
                // float scores may swap near-equal neighbours; values and membership must agree
                assertEquals(exact[order.get(r)], hits.get(r).score(), 1e-5, "query " + q + " rank " + r);
                assertEquals(exact[hits.get(r).id()], hits.get(r).score(), 1e-5);
                assertTrue(exact[hits.get(r).id()] >= kth - 1e-5);
                if (r > 0) assertTrue(hits.get(r - 1).score() >= hits.get(r).score());
            }
        }
    }

    @Test
    void exactTiesGoToTheLowerIdRegardlessOfShard() {
        // one-hot rows give exact dot products (0 or 1) in any summation order
        int d = 4;
        int[] axes = {0, 1, 0, 0, 2, 0, 1};
        EmbeddingIndex index = new EmbeddingIndex(d, 3); // shards: [0,1,2] [3,4,5] [6]
        for (int a : axes) index.add(oneHot(d, a));
        assertEquals(List.of(0, 2, 3), index.search(oneHot(d, 0), 3).stream().map(SearchHit::id).toList());
        assertEquals(List.of(0, 2, 3, 5, 1, 4), index.search(oneHot(d, 0), 6).stream().map(SearchHit::id).toList());
        assertEquals(List.of(1, 6, 0), index.search(oneHot(d, 1), 3).stream().map(SearchHit::id).toList());
        // a query equally close to axes 0 and 2
        assertEquals(List.of(0, 2, 3, 4, 5), index.search(new float[] {1, 0, 1, 0}, 5).stream().map(SearchHit::id).toList());
    }

    @Test
    void smallAndEdgeCases() {
        EmbeddingIndex index = new EmbeddingIndex(3, 2);
        assertEquals(List.of(), index.search(new float[] {1, 0, 0}, 5));
        index.add(new float[] {0, 2, 0});
        index.add(new float[] {3, 0, 0});
        List<SearchHit> hits = index.search(new float[] {5, 0, 0}, 10);
        assertEquals(2, hits.size());
        assertEquals(1, hits.getFirst().id());
        assertEquals(1f, hits.getFirst().score(), 1e-6f);
        assertArrayEquals(new float[] {1, 0, 0}, index.get(1), 0f);
        assertThrows(IllegalArgumentException.class, () -> index.search(new float[] {1, 0}, 1));
        assertThrows(IllegalArgumentException.class, () -> index.search(new float[] {0, 0, 0}, 1));
        assertThrows(IllegalArgumentException.class, () -> index.search(new float[] {1, 0, 0}, 0));
        assertThrows(IllegalArgumentException.class, () -> index.add(new float[] {Float.NaN, 0, 0}));
        assertThrows(IndexOutOfBoundsException.class, () -> index.get(2));
    }

    @Test
    void growsPastTheInitialShardAllocation() {
        int d = 3, n = 2500;
        EmbeddingIndex index = new EmbeddingIndex(d, 4000);
        float[][] data = random(n, d, 3);
        index.addAll(data);
        assertEquals(n, index.size());
        for (int id : new int[] {0, 1023, 1024, 2047, 2048, 2499}) {
            float[] g = index.get(id);
            assertEquals(1.0, cos(g, data[id]), 1e-6);
            assertEquals(id, index.search(data[id], 1).getFirst().id());
        }
    }

    @Test
    void saveAndLoadKeepTheIndex(@TempDir Path dir) throws IOException {
        float[][] data = random(150, 8, 4);
        EmbeddingIndex index = new EmbeddingIndex(8, 64);
        index.addAll(data);
        index.save(dir);
        assertTrue(Files.exists(dir.resolve("shard-00002.f32")));
        EmbeddingIndex loaded = EmbeddingIndex.load(dir);
        assertEquals(150, loaded.size());
        float[][] q = random(5, 8, 5);
        assertEquals(index.search(q, 7), loaded.search(q, 7));
        loaded.add(data[0]); // a loaded index stays appendable
        assertEquals(150, loaded.search(data[0], 2).get(1).id());

        Files.write(dir.resolve("shard-00001.f32"), new byte[12]);
        var ex = assertThrows(IOException.class, () -> EmbeddingIndex.load(dir));
        assertTrue(ex.getMessage().contains("shard-00001.f32"));
        Files.writeString(dir.resolve("index.txt"), "something else\n");
        assertThrows(IOException.class, () -> EmbeddingIndex.load(dir));
    }
}
