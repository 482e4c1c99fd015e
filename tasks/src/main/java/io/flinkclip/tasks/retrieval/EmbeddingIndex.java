package io.flinkclip.tasks.retrieval;

import io.flinkclip.kernels.Gemm;
import io.flinkclip.tasks.Vectors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact cosine-similarity search over L2-normalised embeddings. Rows live in shards of at most
 * {@code shardRows} rows (one float[] each), so an index can exceed a single Java array; the last shard
 * grows geometrically so small indexes stay small. Search scores a block of queries against a whole shard
 * with one {@link Gemm#nt} call and keeps a bounded heap per query. Ids are insertion positions.
 * Adding and searching may happen from different threads; a search sees the rows added before it started.
 */
public final class EmbeddingIndex {
    public static final int DEFAULT_SHARD_ROWS = 65_536;
    /** Queries scored together against a shard; bounds the score buffer to QUERY_BLOCK × shardRows floats. */
    private static final int QUERY_BLOCK = 32;
    private static final String HEADER = "flink-clip embedding index v1";

    private final int dim;
    private final int shardRows;
    private final List<float[]> shards = new ArrayList<>();
    private int size;

    public EmbeddingIndex(int dim) { this(dim, DEFAULT_SHARD_ROWS); }

    public EmbeddingIndex(int dim, int shardRows) {
        if (dim < 1) throw new IllegalArgumentException("dimension must be positive, got " + dim);
        if (shardRows < 1 || (long) shardRows * dim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shard of " + shardRows + " rows × " + dim + " does not fit one array");
        }
        this.dim = dim;
        this.shardRows = shardRows;
    }

    public int dim() { return dim; }

    public int shardRows() { return shardRows; }

    public synchronized int size() { return size; }

    /** Adds one embedding (normalised here) and returns its id. */
    public synchronized int add(float[] embedding) {
        Vectors.requireDim(embedding, dim, "embedding");
        float[] n = Vectors.normalized(embedding);
        if (size == Integer.MAX_VALUE) throw new IllegalStateException("index is full");
        int shard = size / shardRows, row = size % shardRows;
        if (shard == shards.size()) shards.add(new float[Math.min(shardRows, 1024) * dim]);
        float[] s = shards.get(shard);
        if ((row + 1) * dim > s.length) {
            s = Arrays.copyOf(s, Math.min(shardRows, Math.max(row + 1, 2 * (s.length / dim))) * dim);
            shards.set(shard, s);
        }
        System.arraycopy(n, 0, s, row * dim, dim);
        return size++;
    }

    /** Adds every row; returns the id of the first. */
    public synchronized int addAll(float[][] embeddings) {
        int first = size;
        for (float[] e : embeddings) add(e);
        return first;
    }

    /** A copy of the stored (normalised) row. */
    public synchronized float[] get(int id) {
        if (id < 0 || id >= size) throw new IndexOutOfBoundsException("id " + id + " not in [0, " + size + ")");
        return Arrays.copyOfRange(shards.get(id / shardRows), (id % shardRows) * dim, (id % shardRows + 1) * dim);
    }

    public List<SearchHit> search(float[] query, int k) {
        return search(new float[][] {query}, k).getFirst();
    }

    /** The {@code k} most similar rows per query, best first (equal scores: lower id first). */
    public List<List<SearchHit>> search(float[][] queries, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        float[][] q = Vectors.normalizedRows(queries, dim);
        int n;
        float[][] snapshot;
        synchronized (this) {
            n = size;
            snapshot = shards.toArray(new float[0][]);
        }
        List<List<SearchHit>> out = new ArrayList<>(q.length);
        if (n == 0) {
            for (int i = 0; i < q.length; i++) out.add(List.of());
            return out;
        }
        int kk = Math.min(k, n);
        float[] scores = new float[Math.min(QUERY_BLOCK, q.length) * Math.min(shardRows, n)];
        for (int start = 0; start < q.length; start += QUERY_BLOCK) {
            int b = Math.min(QUERY_BLOCK, q.length - start);
            float[] block = new float[b * dim];
            for (int i = 0; i < b; i++) System.arraycopy(q[start + i], 0, block, i * dim, dim);
            TopK[] heaps = new TopK[b];
            for (int i = 0; i < b; i++) heaps[i] = new TopK(kk);
            for (int s = 0; s * (long) shardRows < n; s++) {
                int rows = Math.min(shardRows, n - s * shardRows), base = s * shardRows;
                Gemm.nt(block, 0, snapshot[s], 0, null, scores, 0, b, rows, dim, false);
                for (int i = 0; i < b; i++) {
                    TopK h = heaps[i];
                    int off = i * rows;
                    for (int r = 0; r < rows; r++) {
                        float sc = scores[off + r];
                        if (sc >= h.threshold()) h.offer(sc, base + r);
                    }
                }
            }
            for (TopK h : heaps) out.add(h.result());
        }
        return out;
    }

    /**
     * Writes the index as {@code index.txt} (header, dim, size, shard rows) plus one little-endian float32
     * file per shard ({@code shard-00000.f32}, …) holding only its used rows.
     */
    public synchronized void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        int nShards = (size + shardRows - 1) / shardRows;
        for (int s = 0; s < nShards; s++) {
            int rows = Math.min(shardRows, size - s * shardRows);
            ByteBuffer buf = ByteBuffer.allocate(rows * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(shards.get(s), 0, rows * dim);
            try (FileChannel ch = FileChannel.open(shardFile(dir, s), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                while (buf.hasRemaining()) ch.write(buf);
            }
        }
        Files.writeString(dir.resolve("index.txt"), HEADER + "\ndim=" + dim + "\nsize=" + size + "\nshardRows=" + shardRows + "\n", StandardCharsets.UTF_8);
    }

    public static EmbeddingIndex load(Path dir) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("index.txt"), StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) throw new IOException(dir + "/index.txt is not a " + HEADER + " header");
        int dim = field(lines, "dim", dir), size = field(lines, "size", dir), shardRows = field(lines, "shardRows", dir);
        EmbeddingIndex index;
        try {
            index = new EmbeddingIndex(dim, shardRows);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + "/index.txt: " + e.getMessage(), e);
        }
        int nShards = (int) ((size + (long) shardRows - 1) / shardRows);
        for (int s = 0; s < nShards; s++) {
            int rows = Math.min(shardRows, size - s * shardRows);
            Path f = shardFile(dir, s);
            long expected = (long) rows * dim * 4;
            if (!Files.isRegularFile(f) || Files.size(f) != expected) {
                throw new IOException("shard file " + f + " is missing or not " + expected + " bytes (" + rows + " rows × " + dim + ")");
            }
            float[] data = new float[rows * dim];
            ByteBuffer buf = ByteBuffer.allocate((int) expected).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                while (buf.hasRemaining() && ch.read(buf) >= 0) { }
            }
            buf.flip();
            buf.asFloatBuffer().get(data);
            for (float v : data) if (!Float.isFinite(v)) throw new IOException("shard file " + f + " holds a non-finite value");
            index.shards.add(data);
            index.size += rows;
        }
        return index;
    }

    private static Path shardFile(Path dir, int s) { return dir.resolve(String.format("shard-%05d.f32", s)); }

    private static int field(List<String> lines, String name, Path dir) throws IOException {
        for (String l : lines) {
            if (l.startsWith(name + "=")) {
                try {
                    int v = Integer.parseInt(l.substring(name.length() + 1).trim());
                    if (v < 0) throw new NumberFormatException("negative");
                    return v;
                } catch (NumberFormatException e) {
                    throw new IOException(dir + "/index.txt: bad " + name + ": " + l);
                }
            }
        }
        throw new IOException(dir + "/index.txt has no " + name + "=");
    }
}
