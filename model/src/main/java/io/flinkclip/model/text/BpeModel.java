package io.flinkclip.model.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE over a fixed vocabulary: a word (already mapped through {@link ByteUnicode}) is split into
 * characters, the last one suffixed with {@code </w>}, and the lowest-ranked adjacent pair is merged
 * everywhere, repeatedly, exactly like OpenAI's {@code SimpleTokenizer.bpe}. Immutable apart from a bounded
 * concurrent cache, so one instance may be shared by many threads.
 */
final class BpeModel {
    static final String END_OF_WORD = "</w>";
    private static final int CACHE_LIMIT = 1 << 16;
    private static final int CACHEABLE_CHARS = 64;

    private final List<String> merges;
    private final String[] vocabulary;
    private final Map<String, Integer> ids;
    /** (left id, right id) → rank in the high 32 bits and merged id in the low 32 bits. */
    private final Map<Long, Long> mergeTable;
    private final int[] mergeLeft, mergeRight;
    /** Symbol id of each table character without and with the end-of-word suffix. */
    private final int[] charId = new int[512];
    private final int[] charEndId = new int[512];
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BpeModel(List<String> merges, String[] vocabulary) {
        this.merges = Collections.unmodifiableList(new ArrayList<>(merges));
        this.vocabulary = vocabulary.clone();
        this.ids = new HashMap<>(vocabulary.length * 2);
        for (int i = 0; i < vocabulary.length; i++) {
            if (vocabulary[i] == null) throw new IllegalArgumentException("vocabulary has no token with id " + i);
            if (ids.putIfAbsent(vocabulary[i], i) != null)
                throw new IllegalArgumentException("vocabulary lists token '" + vocabulary[i] + "' twice");
        }
        for (int b = 0; b < 256; b++) {
            char c = ByteUnicode.BYTE_TO_CHAR[b];
            charId[c] = require(String.valueOf(c), "byte symbol");
            charEndId[c] = require(c + END_OF_WORD, "byte symbol");
        }
        this.mergeTable = new HashMap<>(merges.size() * 2);
        this.mergeLeft = new int[merges.size()];
        this.mergeRight = new int[merges.size()];
        for (int r = 0; r < merges.size(); r++) {
            String m = merges.get(r);
            String[] parts = m.split(" ");
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty())
                throw new IllegalArgumentException("merge " + (r + 1) + " is not two space-separated symbols: '" + m + "'");
            int a = require(parts[0], "merge " + (r + 1) + " left symbol");
            int b = require(parts[1], "merge " + (r + 1) + " right symbol");
            int ab = require(parts[0] + parts[1], "merge " + (r + 1) + " result");
            mergeLeft[r] = a;
            mergeRight[r] = b;
            mergeTable.put(pairKey(a, b), ((long) r << 32) | ab); // a repeated merge keeps its last rank, as Python's dict does
        }
    }

    private int require(String token, String what) {
        Integer id = ids.get(token);
        if (id == null) throw new IllegalArgumentException(what + " '" + token + "' is not in the vocabulary");
        return id;
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    List<String> merges() { return merges; }

    String[] vocabulary() { return vocabulary.clone(); }

    int size() { return vocabulary.length; }

    String token(int id) {
        if (id < 0 || id >= vocabulary.length)
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabulary.length + ")");
        return vocabulary[id];
    }

    Integer id(String token) { return ids.get(token); }

    /** BPE ids of one non-empty pre-token already mapped to table characters. */
    int[] encodeWord(String word) {
        int[] hit = cache.get(word);
        if (hit != null) return hit;
        int[] result = merge(word);
        if (word.length() <= CACHEABLE_CHARS) {
            if (cache.size() >= CACHE_LIMIT) cache.clear(); // crude bound; captions reuse a small working set
            cache.put(word, result);
        }
        return result;
    }

    private int[] merge(String word) {
        int n = word.length();
        int[] sym = new int[n];
        for (int i = 0; i < n; i++) {
            char c = word.charAt(i);
            if (c >= charId.length || ByteUnicode.byteOf(c) < 0)
                throw new IllegalArgumentException("character U+" + Integer.toHexString(c) + " is not a byte symbol");
            sym[i] = i == n - 1 ? charEndId[c] : charId[c];
        }
        if (n < 2) return sym;
        // OpenAI's loop (merge every occurrence of the lowest-ranked pair, left to right, repeat) is quadratic;
        // this does the same rounds with a heap of (rank, position) and a linked list, in O(n log n).
        int[] next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        boolean[] dead = new boolean[n];
        java.util.PriorityQueue<Long> heap = new java.util.PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) push(heap, sym, i, i + 1);
        java.util.ArrayList<Integer> round = new java.util.ArrayList<>();
        int alive = n;
        while (!heap.isEmpty() && alive > 1) {
            long top = heap.poll();
            int rank = (int) (top >>> 32);
            if (rankAt(sym, next, dead, (int) top) != rank) continue; // stale entry
            round.clear();
            round.add((int) top);
            while (!heap.isEmpty() && (int) (heap.peek() >>> 32) == rank) round.add((int) (long) heap.poll());
            int merged = (int) (long) mergeTable.get(pairKey(mergeLeft[rank], mergeRight[rank]));
            for (int i : round) {
                // an earlier merge of this round may have consumed i or its right neighbour (pairs like "a a")
                if (rankAt(sym, next, dead, i) != rank) continue;
                int j = next[i];
                sym[i] = merged;
                dead[j] = true;
                next[i] = next[j];
                if (next[j] >= 0) prev[next[j]] = i;
                alive--;
                if (prev[i] >= 0) push(heap, sym, prev[i], i);
                if (next[i] >= 0) push(heap, sym, i, next[i]);
            }
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = sym[i];
        return out;
    }

    /** Rank of the pair starting at live node i, or −1. */
    private int rankAt(int[] sym, int[] next, boolean[] dead, int i) {
        if (dead[i] || next[i] < 0) return -1;
        Long v = mergeTable.get(pairKey(sym[i], sym[next[i]]));
        return v == null ? -1 : (int) (v >>> 32);
    }

    private void push(java.util.PriorityQueue<Long> heap, int[] sym, int i, int j) {
        Long v = mergeTable.get(pairKey(sym[i], sym[j]));
        if (v != null) heap.add((v >>> 32) << 32 | i);
    }
}
