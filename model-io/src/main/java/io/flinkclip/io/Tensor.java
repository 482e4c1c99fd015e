package io.flinkclip.io;

import java.util.Arrays;

/**
 * A named dense tensor held as a flat row-major float[] (the compute type of every kernel), with the dtype
 * it was stored in so that writers can round-trip it. Integer tensors (e.g. BatchNorm's num_batches_tracked)
 * keep their values in {@link #longs}.
 */
public record Tensor(String name, DType storedAs, int[] shape, float[] data, long[] longs) {

    public static Tensor of(String name, int[] shape, float[] data) {
        return new Tensor(name, DType.F32, shape, data, null);
    }

    /** The same values (shared, not copied) under another name. */
    public Tensor renamed(String newName) { return new Tensor(newName, storedAs, shape, data, longs); }

    public long numel() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public int rank() { return shape.length; }

    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public boolean isFloat() { return data != null; }

    /** The single value of a 0-dim or one-element tensor. */
    public float scalar() {
        if (numel() != 1) throw new ClipFormatException(name + ": expected one element, shape " + Arrays.toString(shape));
        return data != null ? data[0] : longs[0];
    }

    public String describe() { return name + " " + storedAs + Arrays.toString(shape); }
}
