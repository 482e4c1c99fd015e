package io.flinkclip.tasks.zeroshot;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Bounded, thread-safe LRU cache of class-embedding matrices keyed by (model id, labels, templates).
 * Building a matrix costs classes × templates text-encoder passes (80,000 for ImageNet), so concurrent
 * requests for the same key wait for one computation instead of repeating it; the computation itself
 * runs outside the lock so other keys are not blocked. A failed computation is not cached.
 */
public final class ClassEmbeddingCache {
    /** Cache key; lists are copied so later changes to the caller's lists cannot corrupt it. */
    public record Key(String modelId, List<List<String>> classNames, List<String> templates) {
        public Key {
            Objects.requireNonNull(modelId, "modelId");
            classNames = classNames.stream().map(List::copyOf).toList();
            templates = List.copyOf(templates);
        }
    }

    private static final ClassEmbeddingCache SHARED = new ClassEmbeddingCache(16);

    private final int capacity;
    private final LinkedHashMap<Key, CompletableFuture<ClassEmbeddings>> entries;

    public ClassEmbeddingCache(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("cache capacity must be at least 1, got " + capacity);
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, CompletableFuture<ClassEmbeddings>> eldest) {
                return size() > ClassEmbeddingCache.this.capacity;
            }
        };
    }

    /** The process-wide cache (16 entries) used by {@link ZeroShotClassifier#create}. */
    public static ClassEmbeddingCache shared() { return SHARED; }

    public ClassEmbeddings get(Key key, Supplier<ClassEmbeddings> compute) {
        CompletableFuture<ClassEmbeddings> future;
        boolean owner = false;
        synchronized (entries) {
            future = entries.get(key);
            if (future == null) {
                future = new CompletableFuture<>();
                entries.put(key, future);
                owner = true;
            }
        }
        if (owner) {
            try {
                future.complete(compute.get());
            } catch (RuntimeException | Error e) {
                synchronized (entries) {
                    entries.remove(key, future);
                }
                future.completeExceptionally(e);
                throw e;
            }
        }
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    public boolean contains(Key key) {
        synchronized (entries) {
            return entries.containsKey(key);
        }
    }

    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }
}
