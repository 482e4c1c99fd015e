package io.flinkclip.io;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** An ordered name → tensor map with shape-checked accessors, the in-memory form of every weight file. */
public final class StateDict {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public StateDict put(Tensor t) {
        tensors.put(t.name(), t);
        return this;
    }

    public boolean has(String name) { return tensors.containsKey(name); }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new ClipFormatException("missing tensor '" + name + "'");
        return t;
    }

    /** The tensor's floats, checking that its shape is exactly {@code shape}. */
    public float[] floats(String name, int... shape) {
        Tensor t = get(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new ClipFormatException("tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        if (t.data() == null) throw new ClipFormatException("tensor '" + name + "' is " + t.storedAs() + ", expected a float tensor");
        return t.data();
    }

    public Tensor remove(String name) { return tensors.remove(name); }

    public Set<String> names() { return tensors.keySet(); }

    public Collection<Tensor> tensors() { return tensors.values(); }

    public int size() { return tensors.size(); }

    public Map<String, String> metadata() { return metadata; }

    /** A copy whose tensors own their values (and metadata), for work that updates weights in place. */
    public StateDict copy() {
        StateDict out = new StateDict();
        for (Tensor t : tensors.values()) {
            out.put(new Tensor(t.name(), t.storedAs(), t.shape().clone(), t.data() == null ? null : t.data().clone(),
                    t.longs() == null ? null : t.longs().clone()));
        }
        out.metadata.putAll(metadata);
        return out;
    }
}
