package io.flinkclip.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The right operand B[K,N] of a GEMM, copied once into the micro-kernel's layout: panels of
 * {@link MicroKernel#NR} columns, each K-major and zero-padded. Pack constant weights once and reuse them
 * with {@link Gemm#packed}; the plain {@link Gemm} entry points repack B on every call.
 *
 * <p>Storage: 32-bit floats, or — after {@link #compact()} — 16 bits per value when every value is exactly an
 * IEEE half or a bfloat16. OpenAI distributes CLIP in fp16 (its JIT archives and state dicts; Hugging Face's
 * fp32 files hold the same values), so its weights lose nothing in 16 bits. The GEMM widens one KC×NR
 * micro-panel at a time into an L1 buffer (the JIT turns the loop into vcvtph2ps) and runs the same fp32 tile on
 * it, so results are bit-identical to the fp32 storage; what changes is that a batch of one image, which
 * streams every weight from DRAM, reads half the bytes.
 *
 * <p>A 16-bit matrix may carry per-column factors ({@link #scaleColumns}) that the widening applies: a
 * convolution followed by an eval BatchNorm keeps its fp16 weights W exact and gets W·s per micro-panel, where
 * folding s into the stored values would leave them fp32 (twice the bytes).
 */
public final class PackedMatrix {
    /** How the packed values are held. */
    public enum Storage { F32, F16, BF16 }

    final int k, n;
    /** F32 storage, else null. */
    final float[] data;
    /** F16 or BF16 bit patterns, else null. */
    final short[] half;
    final Storage storage;
    /** Factor per column applied when widening (16-bit storage only), padded with zeros to whole panels; or null. */
    final float[] columnScale;

    /** Off with -Dclip.weights16=false (A/B measurements; values and results are the same either way). */
    private static final boolean COMPACT = Boolean.parseBoolean(System.getProperty("clip.weights16", "true"));

    private PackedMatrix(int k, int n, float[] data, short[] half, Storage storage, float[] columnScale) {
        this.k = k;
        this.n = n;
        this.data = data;
        this.half = half;
        this.storage = storage;
        this.columnScale = columnScale;
    }

    /** Wraps B already packed into {@code data} (per-call scratch); nothing is copied. */
    static PackedMatrix wrap(float[] data, int k, int n) { return new PackedMatrix(k, n, data, null, Storage.F32, null); }

    /** Packs B given as rows of {@code k} values, {@code n} rows: the nn.Linear weight layout [out, in]. */
    public static PackedMatrix fromRowsNK(float[] b, int bOff, int n, int k) {
        Checks.dims("n", n, "k", k);
        Checks.range("B", b, bOff, (long) n * k);
        PackedMatrix p = wrap(new float[size(n, k)], k, n);
        Packing.packBnt(b, bOff, n, k, p.data, true);
        return p;
    }

    /** Packs B given row-major as [k, n]. */
    public static PackedMatrix fromRowsKN(float[] b, int bOff, int k, int n) {
        Checks.dims("n", n, "k", k);
        Checks.range("B", b, bOff, (long) n * k);
        PackedMatrix p = wrap(new float[size(n, k)], k, n);
        Packing.packBnn(b, bOff, n, k, p.data, true);
        return p;
    }

    /**
     * Packs 16-bit values ({@code s}: IEEE half or bfloat16 bit patterns) given as rows of {@code k}, {@code n} rows
     * (the nn.Linear layout), keeping them in 16 bits: a fp16 checkpoint's weights go into the packed form without
     * being widened, checked and narrowed again. Products are bit-identical to {@code fromRowsNK} of their floats
     * followed by {@link #compact()}; with {@code -Dclip.weights16=false} the matrix is held in fp32, as that would be.
     */
    public static PackedMatrix fromBits16NK(short[] h, int hOff, int n, int k, Storage s) { return fromBits16(h, hOff, n, k, s, true); }

    /** {@link #fromBits16NK} for B given row-major as [k, n] (as {@link #fromRowsKN}). */
    public static PackedMatrix fromBits16KN(short[] h, int hOff, int k, int n, Storage s) { return fromBits16(h, hOff, n, k, s, false); }

    private static PackedMatrix fromBits16(short[] h, int hOff, int n, int k, Storage s, boolean rowsNK) {
        requireSixteen(s);
        Checks.dims("n", n, "k", k);
        Checks.range("B", h, hOff, (long) n * k);
        if (!COMPACT) {
            float[] f = widenValues(h, hOff, (long) n * k, s);
            return rowsNK ? fromRowsNK(f, 0, n, k) : fromRowsKN(f, 0, k, n);
        }
        short[] packed = new short[size(n, k)];
        if (rowsNK) Packing.packBnt16(h, hOff, n, k, packed, true);
        else Packing.packBnn16(h, hOff, n, k, packed);
        return new PackedMatrix(k, n, null, packed, s, null);
    }

    private static void requireSixteen(Storage s) {
        if (s == Storage.F32) throw new IllegalArgumentException("16-bit values need F16 or BF16 storage");
    }

    /**
     * The index of the first value of {@code h} that is an infinity or NaN in storage {@code s} (every exponent bit set),
     * or −1: 32 values per compare, for checking a checkpoint's 16-bit weights without widening them.
     */
    public static int firstNonFinite(short[] h, Storage s) {
        requireSixteen(s);
        short exponent = (short) (s == Storage.F16 ? 0x7C00 : 0x7F80);
        ShortVector e = ShortVector.broadcast(HS, exponent);
        int i = 0;
        for (int end = HS.loopBound(h.length); i < end; i += HS.length()) {
            if (ShortVector.fromArray(HS, h, i).and(e).compare(VectorOperators.EQ, e).anyTrue()) break;
        }
        for (; i < h.length; i++) if ((h[i] & exponent) == exponent) return i;
        return -1;
    }

    private static final VectorSpecies<Short> HS = ShortVector.SPECIES_PREFERRED;

    /** h[off, off + len) widened to floats ({@code s}: F16 or BF16). */
    public static float[] widenValues(short[] h, int off, long len, Storage s) {
        float[] out = new float[Math.toIntExact(len)];
        widenValues(h, off, out.length, s, out, 0);
        return out;
    }

    /** dst[dOff, dOff + len) = h[off, off + len) widened to floats ({@code s}: F16 or BF16). */
    public static void widenValues(short[] h, int off, int len, Storage s, float[] dst, int dOff) {
        requireSixteen(s);
        if (s == Storage.F16) widenF16(h, off, len, dst, dOff);
        else widenBF16(h, off, len, dst, dOff);
    }

    /**
     * This matrix with 16 bits per value when that is exact for every value (F16 tried first: more mantissa, and
     * what OpenAI's weights are), else this matrix itself. For constant weights; the copy is lossless, so GEMMs
     * give bit-identical results with either.
     */
    public PackedMatrix compact() {
        if (!COMPACT || storage != Storage.F32) return this;
        for (Storage s : new Storage[] {Storage.F16, Storage.BF16}) {
            short[] h = narrowExactly(data, s);
            if (h != null) return new PackedMatrix(k, n, null, h, s, null);
        }
        return this;
    }

    /**
     * This 16-bit matrix with column j multiplied by {@code scale[j]} as the GEMM widens it (one float
     * multiply per value, after the exact widening), sharing the stored values. Only for 16-bit storage: an fp32
     * matrix can hold the products itself.
     */
    public PackedMatrix scaleColumns(float[] scale) {
        if (half == null) throw new IllegalStateException("column factors apply to 16-bit storage; fold them into fp32 values");
        if (scale.length != n) throw new IllegalArgumentException("scale has " + scale.length + " values for " + n + " columns");
        float[] padded = new float[Packing.panels(n, MicroKernel.NR) * MicroKernel.NR];
        System.arraycopy(scale, 0, padded, 0, n);
        return new PackedMatrix(k, n, null, half, storage, padded);
    }

    /**
     * v in 16-bit storage s (F16 or BF16), or null as soon as a value does not round-trip bit for bit; also for other
     * holders of constant weights (the text tower's token embedding).
     */
    public static short[] narrowExactly(float[] v, Storage s) {
        short[] h = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            h[i] = narrow(v[i], s);
            if (Float.floatToRawIntBits(widen(h[i], s)) != Float.floatToRawIntBits(v[i])) return null;
        }
        return h;
    }

    private static short narrow(float x, Storage s) {
        // BF16: the top half of the float's bits (callers check that the low half is zero).
        return s == Storage.F16 ? Float.floatToFloat16(x) : (short) (Float.floatToRawIntBits(x) >>> 16);
    }

    private static float widen(short h, Storage s) {
        return s == Storage.F16 ? Float.float16ToFloat(h) : Float.intBitsToFloat(h << 16);
    }

    /**
     * dst[0, len) = the packed values [off, off + len) as floats. Two plain loops, one per storage: C2 vectorises
     * each (vcvtph2ps for F16, a widening shift for BF16): 0.04 ns per value in L1.
     */
    void widen(int off, int len, float[] dst) { widen(off, len, dst, 0); }

    /** As {@link #widen(int, int, float[])} into dst from dOff; [off, off + len) lies in one micro-panel. */
    private void widen(int off, int len, float[] dst, int dOff) {
        widenValues(half, off, len, storage, dst, dOff);
        if (columnScale != null) scalePanel(dst, dOff, len, columnScale, off / (MicroKernel.NR * k) * MicroKernel.NR);
    }

    /** Every value as a float into dst (the fp32 packing of this matrix, column factors applied). */
    void widenAll(float[] dst) {
        int panel = MicroKernel.NR * k;
        for (int q = 0; q < Packing.panels(n, MicroKernel.NR); q++) widen(q * panel, panel, dst, q * panel);
    }

    private static void widenF16(short[] h, int off, int len, float[] dst, int dOff) {
        for (int i = 0; i < len; i++) dst[dOff + i] = Float.float16ToFloat(h[off + i]);
    }

    private static void widenBF16(short[] h, int off, int len, float[] dst, int dOff) {
        for (int i = 0; i < len; i++) dst[dOff + i] = Float.intBitsToFloat(h[off + i] << 16);
    }

    /** dst[dOff + p·NR + j] *= scale[col0 + j] over len values of one micro-panel (whole NR-wide rows). */
    private static void scalePanel(float[] dst, int dOff, int len, float[] scale, int col0) {
        var sp = MicroKernel.S;
        int vl = MicroKernel.VL;
        FloatVector s0 = FloatVector.fromArray(sp, scale, col0), s1 = FloatVector.fromArray(sp, scale, col0 + vl);
        for (int i = dOff; i + MicroKernel.NR <= dOff + len; i += MicroKernel.NR) {
            FloatVector.fromArray(sp, dst, i).mul(s0).intoArray(dst, i);
            FloatVector.fromArray(sp, dst, i + vl).mul(s1).intoArray(dst, i + vl);
        }
    }

    static int size(int n, int k) {
        long s = (long) Packing.panels(n, MicroKernel.NR) * MicroKernel.NR * k;
        if (s > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("packed matrix too large: n=" + n + " k=" + k);
        return (int) s;
    }

    /** Columns of B (outputs of the layer). */
    public int n() { return n; }

    /** Rows of B (the reduction length). */
    public int k() { return k; }

    /** How the values are held (F32 unless {@link #compact()} narrowed them). */
    public Storage storage() { return storage; }

    /** Bytes of packed values held. */
    public long bytes() { return data != null ? 4L * data.length : 2L * half.length; }
}
