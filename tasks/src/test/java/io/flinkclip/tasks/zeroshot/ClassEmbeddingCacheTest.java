package io.flinkclip.tasks.zeroshot;

import io.flinkclip.model.Clip;
import io.flinkclip.tasks.testing.FakeClip;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class ClassEmbeddingCacheTest {
    private static ClassEmbeddingCache.Key key(String model, String label) {
        return new ClassEmbeddingCache.Key(model, List.of(List.of(label)), List.of("{}"));
    }

    private static ClassEmbeddings emb() { return new ClassEmbeddings(new float[][] {{1, 0}}); }

    @Test
    void keyIncludesModelLabelsAndTemplates() {
        ClassEmbeddingCache cache = new ClassEmbeddingCache(8);
        AtomicInteger calls = new AtomicInteger();
        cache.get(key("m1", "a"), () -> { calls.incrementAndGet(); return emb(); });
        cache.get(key("m1", "a"), () -> { calls.incrementAndGet(); return emb(); });
        assertEquals(1, calls.get());
        cache.get(key("m2", "a"), () -> { calls.incrementAndGet(); return emb(); });
        cache.get(key("m1", "b"), () -> { calls.incrementAndGet(); return emb(); });
        cache.get(new ClassEmbeddingCache.Key("m1", List.of(List.of("a")), List.of("a {}")), () -> { calls.incrementAndGet(); return emb(); });
        assertEquals(4, calls.get());
    }

    @Test
    void evictsTheLeastRecentlyUsed() {
        ClassEmbeddingCache cache = new ClassEmbeddingCache(2);
        cache.get(key("m", "a"), ClassEmbeddingCacheTest::emb);
        cache.get(key("m", "b"), ClassEmbeddingCacheTest::emb);
        cache.get(key("m", "a"), ClassEmbeddingCacheTest::emb); // a is now most recent
        cache.get(key("m", "c"), ClassEmbeddingCacheTest::emb);
        assertEquals(2, cache.size());
        assertTrue(cache.contains(key("m", "a")));
        assertFalse(cache.contains(key("m", "b")));
        assertTrue(cache.contains(key("m", "c")));
    }

    @Test
    void failuresAreNotCached() {
        ClassEmbeddingCache cache = new ClassEmbeddingCache(2);
        assertThrows(IllegalStateException.class, () -> cache.get(key("m", "a"), () -> { throw new IllegalStateException("boom"); }));
        assertFalse(cache.contains(key("m", "a")));
        assertNotNull(cache.get(key("m", "a"), ClassEmbeddingCacheTest::emb));
    }

    @Test
    void concurrentRequestsComputeOnce() throws Exception {
        ClassEmbeddingCache cache = new ClassEmbeddingCache(4);
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ClassEmbeddings>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return cache.get(key("m", "a"), () -> {
                        calls.incrementAndGet();
                        try { Thread.sleep(50); } catch (InterruptedException e) { throw new RuntimeException(e); }
                        return emb();
                    });
                }));
            }
            start.countDown();
            ClassEmbeddings first = results.getFirst().get(10, TimeUnit.SECONDS);
            for (Future<ClassEmbeddings> f : results) assertSame(first, f.get(10, TimeUnit.SECONDS));
            assertEquals(1, calls.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void classifierCreationUsesTheCache() {
        Clip clip = FakeClip.create();
        ClassEmbeddingCache cache = new ClassEmbeddingCache(4);
        PromptSet p = PromptSet.of("c", List.of("red", "blue"), List.of("a {}.", "the {}."));
        int before = FakeClip.TEXTS_ENCODED.get();
        ZeroShotClassifier a = ZeroShotClassifier.create(clip, "fake", p, cache);
        int after = FakeClip.TEXTS_ENCODED.get();
        assertTrue(after - before >= 4);
        ZeroShotClassifier b = ZeroShotClassifier.create(clip, "fake", p, cache);
        assertSame(a.classEmbeddings(), b.classEmbeddings());
    }
}
