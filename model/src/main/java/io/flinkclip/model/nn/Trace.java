package io.flinkclip.model.nn;

import io.flinkclip.io.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Collects intermediate activations under the names OpenAI's modules have (e.g. {@code visual.ln_pre},
 * {@code transformer.resblocks.0}), batch-first, as copies. Used to localise a parity failure to one layer.
 */
public final class Trace {
    private final Set<String> only;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** Records every activation. */
    public Trace() { this(null); }

    /** Records only the named activations ({@code null}: all). */
    public Trace(Set<String> only) { this.only = only; }

    public boolean wants(String name) { return only == null || only.contains(name); }

    /** Copies {@code numel(shape)} values of {@code src} starting at {@code off}. */
    public void put(String name, float[] src, int off, int... shape) {
        if (!wants(name)) return;
        int n = 1;
        for (int d : shape) n *= d;
        float[] copy = new float[n];
        System.arraycopy(src, off, copy, 0, n);
        tensors.put(name, Tensor.of(name, shape.clone(), copy));
    }

    public Map<String, Tensor> tensors() { return tensors; }

    public Tensor get(String name) { return tensors.get(name); }
}
