package io.flinkclip.io.arch;

import io.flinkclip.io.DType;

import java.util.Arrays;

/** Name, dtype and shape of one tensor a CLIP architecture has (no values). */
public record TensorSpec(String name, DType dtype, int[] shape) {
    public long numel() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    @Override
    public String toString() { return name + " " + dtype + Arrays.toString(shape); }
}
