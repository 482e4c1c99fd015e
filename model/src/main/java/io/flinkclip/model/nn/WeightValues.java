package io.flinkclip.model.nn;

import io.flinkclip.kernels.PackedMatrix;

/**
 * One weight tensor on its way into an inference layer ({@link Params#weight}): its floats, or — for a tensor still in
 * its F16/BF16 file — the stored 16-bit values themselves, which pack straight into a 16-bit {@link PackedMatrix}.
 * Loading OpenAI's fp16 checkpoints that way moves 2-byte values once instead of widening each to a float, checking
 * it, packing the floats and narrowing them back (the narrowing alone was half of a ViT-B/32 load). Either way the
 * packed matrix holds the same values, so products are bit-identical.
 */
final class WeightValues {
    private final float[] floats;
    private final short[] bits;
    private final PackedMatrix.Storage storage;

    private WeightValues(float[] floats, short[] bits, PackedMatrix.Storage storage) {
        this.floats = floats;
        this.bits = bits;
        this.storage = storage;
    }

    static WeightValues ofFloats(float[] floats) { return new WeightValues(floats, null, PackedMatrix.Storage.F32); }

    /** Stored 16-bit values, {@code storage} F16 or BF16 (already checked to be finite). */
    static WeightValues ofBits16(short[] bits, PackedMatrix.Storage storage) { return new WeightValues(null, bits, storage); }

    /**
     * n rows of k values from {@code off} (nn.Linear [out, in]) packed: in 16 bits as stored, or floats in fp32 (which
     * {@link Params#packed} then narrows where that is exact).
     */
    PackedMatrix packNK(int off, int n, int k) {
        return bits != null ? PackedMatrix.fromBits16NK(bits, off, n, k, storage) : PackedMatrix.fromRowsNK(floats, off, n, k);
    }

    /** As {@link #packNK} for a row-major [k, n] block at {@code off}. */
    PackedMatrix packKN(int off, int k, int n) {
        return bits != null ? PackedMatrix.fromBits16KN(bits, off, k, n, storage) : PackedMatrix.fromRowsKN(floats, off, k, n);
    }

    /**
     * These values as convolution filters [out, in, k, k] (PyTorch's order) with each filter's taps reordered to (ky, kx,
     * c), the reduction order of an NHWC patch; 1×1 filters are already in that order and come back as they are.
     */
    WeightValues tapsMajor(int out, int in, int k) {
        if (k == 1) return this;
        int kdim = k * k * in, taps = k * k;
        if (bits != null) {
            short[] r = new short[bits.length];
            for (int o = 0; o < out; o++)
                for (int c = 0; c < in; c++)
                    for (int t = 0; t < taps; t++) r[o * kdim + t * in + c] = bits[(o * in + c) * taps + t];
            return new WeightValues(null, r, storage);
        }
        float[] r = new float[floats.length];
        for (int o = 0; o < out; o++)
            for (int c = 0; c < in; c++)
                for (int t = 0; t < taps; t++) r[o * kdim + t * in + c] = floats[(o * in + c) * taps + t];
        return new WeightValues(r, null, storage);
    }

    /** The stored 16-bit values, or null when these are floats. */
    short[] bits() { return bits; }

    /** How {@link #bits()} hold their values (F16 or BF16); F32 for floats. */
    PackedMatrix.Storage storage() { return storage; }

    /** The values as floats (widened when stored in 16 bits). */
    float[] floats() { return floats != null ? floats : PackedMatrix.widenValues(bits, 0, bits.length, storage); }
}
