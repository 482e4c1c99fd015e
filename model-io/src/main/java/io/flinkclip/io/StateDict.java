package io.flinkclip.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * An ordered name → tensor map with shape-checked accessors, the in-memory form of every weight file.
 *
 * <p>An entry may be <em>pending</em> ({@link #putPending}): its name, dtype and shape are known (from a file's
 * header) but its values are decoded only when first asked for, then kept. Readers of large checkpoints use this
 * so that a model built for inference, which packs each weight and {@link #remove}s it, never holds the whole
 * checkpoint as floats at once: the load peak is the packed model plus one layer's tensors, not plus all of them.
 * Shape queries ({@link #shape}, {@link #shapes}) never decode.
 *
 * <p>Thread-safe for builders that take and drop different tensors at once (the two towers of a model): map
 * operations hold the dictionary's lock briefly, decoding holds no lock, and {@link #names()} is a snapshot.
 */
public final class StateDict {
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** One tensor: decoded, or its header and how to decode it. */
    private static final class Entry {
        final DType storedAs;
        final int[] shape;
        Supplier<Tensor> decoder; // null once decoded
        /** The stored 16-bit values, for an F16 or BF16 entry whose source can hand them out as they are; or null. */
        final Supplier<short[]> bits16;
        Tensor tensor;

        Entry(Tensor t) {
            storedAs = t.storedAs();
            shape = t.shape();
            bits16 = null;
            tensor = t;
        }

        Entry(DType storedAs, int[] shape, Supplier<Tensor> decoder, Supplier<short[]> bits16) {
            this.storedAs = storedAs;
            this.shape = shape;
            this.decoder = decoder;
            this.bits16 = bits16;
        }
    }

    public StateDict put(Tensor t) {
        synchronized (entries) {
            entries.put(t.name(), new Entry(t));
        }
        return this;
    }

    /**
     * Adds a tensor whose values {@code decoder} produces on first use. The decoder must return a tensor of
     * exactly {@code shape} (its name may differ: it is renamed to {@code name}); it may throw
     * {@link ClipFormatException} when its source has become unreadable.
     */
    public StateDict putPending(String name, DType storedAs, int[] shape, Supplier<Tensor> decoder) {
        return putPending(name, storedAs, shape, decoder, null);
    }

    /**
     * As {@link #putPending(String, DType, int[], Supplier)} for an F16 or BF16 tensor whose source can also hand out
     * its stored values as they are: {@code bits16} returns them (little-endian order resolved), one per element, for
     * {@link #bits16(String, int...)}, or null when its source turns out to have none to give (a derived tensor
     * whose sources are decoded already). Readers of files pass it, and derived tensors built from such entries.
     */
    public StateDict putPending(String name, DType storedAs, int[] shape, Supplier<Tensor> decoder, Supplier<short[]> bits16) {
        if (bits16 != null && !storedAs.isSixteenBitFloat())
            throw new IllegalArgumentException("16-bit values offered for a " + storedAs + " tensor '" + name + "'");
        Entry e = new Entry(storedAs, shape.clone(), decoder, bits16);
        synchronized (entries) {
            entries.put(name, e);
        }
        return this;
    }

    /**
     * Adds {@code from}'s entry {@code name} under {@code as}, still pending if it is pending there (a rename that
     * decodes nothing). The entry is decoded separately in each dictionary that asks for it.
     */
    public StateDict putFrom(StateDict from, String name, String as) {
        Entry e = from.entry(name);
        synchronized (e) {
            if (e.tensor != null) return put(e.tensor.name().equals(as) ? e.tensor : e.tensor.renamed(as));
            return putPending(as, e.storedAs, e.shape, e.decoder, e.bits16);
        }
    }

    public boolean has(String name) {
        synchronized (entries) {
            return entries.containsKey(name);
        }
    }

    /**
     * Whether {@code name}'s values are in memory: false for an entry still pending, and for a name not (or no longer)
     * here, so that a walk over a {@link #names()} snapshot may run while a builder removes entries.
     */
    public boolean isDecoded(String name) {
        Entry e;
        synchronized (entries) {
            e = entries.get(name);
        }
        if (e == null) return false;
        synchronized (e) {
            return e.tensor != null;
        }
    }

    /**
     * The tensor, decoding it if it is pending; the first decoded tensor is kept and returned from then on. No lock is
     * held while decoding (a decoder may read other entries, on any thread): two threads asking for the same
     * pending entry at once may both decode it, and both get the one that was kept.
     */
    public Tensor get(String name) {
        Tensor t = peek(name);
        Entry e = entry(name);
        synchronized (e) {
            if (e.tensor == null) {
                e.tensor = t;
                e.decoder = null;
            }
            return e.tensor;
        }
    }

    /**
     * The tensor without keeping it here: a pending entry is decoded for the caller alone (each call decodes
     * again), a decoded one is returned as is. Conversions that derive a new tensor from a source use this, so a
     * lazily read source never accumulates decoded values.
     */
    public Tensor peek(String name) {
        Entry e = entry(name);
        Supplier<Tensor> decoder;
        synchronized (e) {
            if (e.tensor != null) return e.tensor;
            decoder = e.decoder;
        }
        return decode(name, e, decoder); // outside the lock: peeks do not wait for each other
    }

    /**
     * The stored 16-bit values (IEEE half or bfloat16 bit patterns, as {@link #storedAs} says) of a pending F16/BF16
     * entry, read from its source without widening them to floats and without keeping them here; null when the entry
     * is decoded already or its source cannot provide them, and callers then take {@link #floats}. For inference
     * builders that keep weights in 16 bits: the file's values go straight into their packed form. Checks the shape
     * first, as {@link #floats} does.
     */
    public short[] bits16(String name, int... shape) {
        Entry e = entry(name);
        requireShape(name, e, shape);
        Supplier<short[]> source;
        synchronized (e) {
            if (e.tensor != null) return null;
            source = e.bits16;
        }
        if (source == null) return null;
        short[] h = source.get();
        if (h == null) return null;
        if (h.length != numel(e.shape)) // a reader bug, not bad input
            throw new IllegalStateException("tensor '" + name + "' read as " + h.length + " 16-bit values, its header says " + Arrays.toString(e.shape));
        return h;
    }

    /** The shape, without decoding. */
    public int[] shape(String name) { return entry(name).shape.clone(); }

    /** The dtype the tensor is stored in, without decoding. */
    public DType storedAs(String name) { return entry(name).storedAs; }

    /** Bytes of the tensor as stored (elements × its dtype's width), without decoding. */
    public long storedBytes(String name) {
        Entry e = entry(name);
        return numel(e.shape) * e.storedAs.bytes;
    }

    /** Every tensor's shape, in order, without decoding anything (architecture inference uses this). */
    public Map<String, int[]> shapes() {
        Map<String, int[]> out = new LinkedHashMap<>();
        synchronized (entries) {
            entries.forEach((n, e) -> out.put(n, e.shape.clone()));
        }
        return out;
    }

    /** Elements of every float tensor (their fp32 footprint / 4), without decoding anything. */
    public long floatElements() {
        long n = 0;
        synchronized (entries) {
            for (Entry e : entries.values()) if (e.storedAs.isFloat()) n += numel(e.shape);
        }
        return n;
    }

    /** The tensor's floats, checking that its shape is exactly {@code shape} (before decoding it). */
    public float[] floats(String name, int... shape) {
        Entry e = entry(name);
        requireShape(name, e, shape);
        Tensor t = get(name);
        if (t.data() == null) throw new ClipFormatException("tensor '" + name + "' is " + t.storedAs() + ", expected a float tensor");
        return t.data();
    }

    /** Drops {@code name} (pending or decoded); true when it was present. */
    public boolean remove(String name) {
        synchronized (entries) {
            return entries.remove(name) != null;
        }
    }

    /** The names in order, as they are now (a snapshot: the dictionary may change while it is walked). */
    public Set<String> names() {
        synchronized (entries) {
            return Collections.unmodifiableSet(new LinkedHashSet<>(entries.keySet()));
        }
    }

    /** Every tensor, in order; pending entries are decoded (and kept) as the collection is built. */
    public Collection<Tensor> tensors() {
        Set<String> names = names();
        List<Tensor> out = new ArrayList<>(names.size());
        for (String n : names) out.add(get(n));
        return Collections.unmodifiableList(out);
    }

    /** Decodes every pending entry now (for callers about to lose the source, e.g. a temporary file). */
    public StateDict decodeAll() {
        for (String n : names()) get(n);
        return this;
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    public Map<String, String> metadata() { return metadata; }

    /** A copy whose tensors own their values (and metadata), for work that updates weights in place. */
    public StateDict copy() {
        StateDict out = new StateDict();
        for (Tensor t : tensors()) {
            out.put(new Tensor(t.name(), t.storedAs(), t.shape().clone(), t.data() == null ? null : t.data().clone(),
                    t.longs() == null ? null : t.longs().clone()));
        }
        out.metadata.putAll(metadata);
        return out;
    }

    private Entry entry(String name) {
        Entry e;
        synchronized (entries) {
            e = entries.get(name);
        }
        if (e == null) throw new ClipFormatException("missing tensor '" + name + "'");
        return e;
    }

    private static void requireShape(String name, Entry e, int[] shape) {
        if (!Arrays.equals(e.shape, shape)) {
            throw new ClipFormatException("tensor '" + name + "' has shape " + Arrays.toString(e.shape)
                    + ", expected " + Arrays.toString(shape));
        }
    }

    private static Tensor decode(String name, Entry e, Supplier<Tensor> decoder) {
        Tensor t = decoder.get();
        if (!Arrays.equals(t.shape(), e.shape) || t.storedAs() != e.storedAs) // a decoder bug, not bad input
            throw new IllegalStateException("tensor '" + name + "' decoded as " + t.describe() + ", its header says "
                    + e.storedAs + Arrays.toString(e.shape));
        return t.name().equals(name) ? t : t.renamed(name);
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
