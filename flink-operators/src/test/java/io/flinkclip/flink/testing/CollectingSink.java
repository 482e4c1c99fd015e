package io.flinkclip.flink.testing;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Appends every record to a static list named by the sink (tests run the MiniCluster in this JVM). Not
 * idempotent on purpose: a replayed record shows up twice, so tests can detect duplicates.
 */
public final class CollectingSink<T> implements Sink<T> {
    private static final Map<String, List<Object>> RESULTS = new ConcurrentHashMap<>();
    private final String name;

    /** Appends to the list {@code name}; call {@link #reset} first to start from an empty one. */
    public CollectingSink(String name) { this.name = name; }

    public static void reset(String... names) {
        for (String n : names) RESULTS.put(n, new CopyOnWriteArrayList<>());
    }

    @SuppressWarnings("unchecked")
    public static <T> List<T> results(String name) { return new ArrayList<>((List<T>) RESULTS.getOrDefault(name, List.of())); }

    public static int count(String name) { return RESULTS.getOrDefault(name, List.of()).size(); }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        List<Object> target = RESULTS.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>());
        return new SinkWriter<>() {
            @Override
            public void write(T element, Context ctx) { target.add(element); }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
