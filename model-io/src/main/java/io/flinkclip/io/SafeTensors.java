package io.flinkclip.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reader and writer of the safetensors format (8-byte little-endian header length, JSON header, raw data).
 * The file is memory-mapped and every offset, size and shape is checked against the file before any
 * allocation, so a hostile file yields a {@link ClipFormatException}, never an out-of-memory or a crash.
 * Float tensors of any float dtype are upcast to float32.
 */
public final class SafeTensors {
    /** Larger headers are not plausible for any CLIP model (OpenAI's largest has ~1k tensors). */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafeTensors() {}

    /**
     * Reads a file tensor by tensor: each tensor's bytes are mapped on their own and unmapped right after the
     * copy, so the process never holds more than one tensor of the file mapped (resident set ≈ the float
     * arrays, not the arrays plus the whole file). The file may be deleted afterwards; see {@link #open} for a
     * dictionary that decodes each tensor only when it is asked for.
     */
    public static StateDict read(Path file) {
        return open(file).decodeAll();
    }

    /**
     * Parses and checks the header of {@code file} (every offset, size, dtype and overlap) and returns a state
     * dict whose tensors are all {@linkplain StateDict#putPending pending}: each is decoded from the file when
     * first asked for, through a mapping of its own bytes that is released right after. Loading a model for
     * inference this way holds one tensor as floats at a time instead of the whole checkpoint. The file must stay
     * in place, unchanged, until the tensors are taken; a file replaced or truncated meanwhile (size, modification
     * time or identity changed) fails the next decode with a {@link ClipFormatException}, never with stale or
     * mixed values.
     */
    public static StateDict open(Path file) {
        FileWindows windows = FileWindows.of(file);
        Source header = new Source() {
            @Override
            public <T> T window(long at, long len, Function<MemorySegment, T> f) { return windows.read(at, len, "the header", f); }
        };
        Header h = parse(header, windows.size(), file.toString());
        return pending(h, e -> windows.read(h.dataStart + e.begin, e.length(), "tensor '" + e.name + "'", e::decode),
                e -> windows.read(h.dataStart + e.begin, e.length(), "tensor '" + e.name + "'", s -> bits16(s, 0, e.length() / 2)));
    }

    public static StateDict read(byte[] bytes, String what) {
        return read(MemorySegment.ofArray(bytes), bytes.length, what);
    }

    /** Parses a safetensors image held in {@code seg}; tensors are copied out, so the segment may be closed after. */
    public static StateDict read(MemorySegment seg, long size, String what) {
        Header h = parse(new Source() {
            @Override
            public <T> T window(long at, long len, Function<MemorySegment, T> f) { return f.apply(seg.asSlice(at, len)); }
        }, size, what);
        return pending(h, e -> e.decode(seg.asSlice(h.dataStart + e.begin, e.length())), null).decodeAll();
    }

    /**
     * The header's tensors, each pending with {@code decoder} (an entry's bytes → its tensor) and, for F16/BF16
     * entries when {@code bits16} is given, that way to their stored values.
     */
    private static StateDict pending(Header h, Function<Entry, Tensor> decoder, Function<Entry, short[]> bits16) {
        StateDict sd = new StateDict();
        sd.metadata().putAll(h.metadata);
        for (Entry e : h.entries) {
            boolean sixteen = bits16 != null && e.dtype.isSixteenBitFloat();
            sd.putPending(e.name, e.dtype, e.shape, () -> decoder.apply(e), sixteen ? () -> bits16.apply(e) : null);
        }
        return sd;
    }

    /** {@code n} little-endian 16-bit values at {@code at}, as they are (F16/BF16 bit patterns); bounds are the caller's. */
    public static short[] bits16(MemorySegment seg, long at, long n) {
        short[] out = new short[Math.toIntExact(n)];
        MemorySegment.copy(seg, I16, at, out, 0, out.length);
        return out;
    }

    /** Bytes of a safetensors image, handed out one window at a time (a slice of memory, or a mapping per tensor). */
    private interface Source {
        <T> T window(long at, long len, Function<MemorySegment, T> f);
    }

    /** One checked header entry: the tensor's bytes are [dataStart + begin, dataStart + end). */
    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        long length() { return end - begin; }

        /** The tensor from its bytes, {@code s} (a window of exactly {@link #length()} bytes). */
        Tensor decode(MemorySegment s) { return SafeTensors.decode(s, 0, (int) (length() / dtype.bytes), dtype, name, shape); }
    }

    private record Header(long dataStart, List<Entry> entries, Map<String, String> metadata) {}

    private static Header parse(Source src, long size, String what) {
        try {
            return parseHeader(src, size, what);
        } catch (ArithmeticException e) { // element counts overflowing a long: a corrupt header, not a bug
            throw new ClipFormatException(what + ": tensor sizes in the header overflow: " + e.getMessage(), e);
        }
    }

    private static Header parseHeader(Source src, long size, String what) {
        if (size < 8) throw new ClipFormatException(what + ": not a safetensors file (" + size + " bytes)");
        long headerLen = src.window(0, 8, s -> s.get(I64, 0));
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
            throw new ClipFormatException(what + ": invalid safetensors header length " + headerLen + " for a file of " + size + " bytes");
        }
        byte[] hb = src.window(8, headerLen, s -> s.toArray(ValueLayout.JAVA_BYTE));
        JsonNode header;
        try {
            header = JSON.readTree(new String(hb, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ClipFormatException(what + ": safetensors header is not valid JSON: " + e.getMessage());
        }
        if (header == null || !header.isObject()) throw new ClipFormatException(what + ": safetensors header is not a JSON object");
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new java.util.LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (v.isObject()) v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            if (!v.isObject() || !v.has("dtype") || !v.has("shape") || !v.has("data_offsets")) {
                throw new ClipFormatException(what + ": tensor '" + name + "' lacks dtype, shape or data_offsets");
            }
            DType dt = DType.parse(v.get("dtype").asText());
            JsonNode shapeNode = v.get("shape");
            JsonNode offs = v.get("data_offsets");
            if (!shapeNode.isArray() || shapeNode.size() > 8 || !offs.isArray() || offs.size() != 2) {
                throw new ClipFormatException(what + ": tensor '" + name + "' has a malformed shape or data_offsets");
            }
            int[] shape = new int[shapeNode.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.canConvertToLong() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                    throw new ClipFormatException(what + ": tensor '" + name + "' has an invalid dimension " + d);
                }
                shape[i] = (int) d.asLong();
                numel = Math.multiplyExact(numel, shape[i]);
            }
            long begin = offs.get(0).asLong(-1), end = offs.get(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataLen) {
                throw new ClipFormatException(what + ": tensor '" + name + "' data_offsets [" + begin + ", " + end
                        + "] fall outside the " + dataLen + " data bytes");
            }
            if (numel > Integer.MAX_VALUE - 8 || end - begin != numel * dt.bytes) {
                throw new ClipFormatException(what + ": tensor '" + name + "' holds " + (end - begin) + " bytes but "
                        + dt + java.util.Arrays.toString(shape) + " needs " + (numel * dt.bytes));
            }
            entries.add(new Entry(name, dt, shape, begin, end));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            if (byOffset.get(i).begin < byOffset.get(i - 1).end) throw new ClipFormatException(what + ": tensors overlap in the data section");
        }
        return new Header(dataStart, entries, metadata);
    }

    /**
     * Decodes {@code n} little-endian elements of {@code dt} at {@code at}; floats of any width become float32, integers
     * long. Shared by every tensor container (safetensors, the native format); bounds are the caller's to check.
     */
    public static Tensor decode(MemorySegment seg, long at, int n, DType dt, String name, int[] shape) {
        switch (dt) {
            case F32, F16, BF16, F64 -> {
                float[] out = new float[n];
                switch (dt) {
                    case F32 -> MemorySegment.copy(seg, F32, at, out, 0, n);
                    case F16 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(seg.get(I16, at + 2L * i)); }
                    case BF16 -> { for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((seg.get(I16, at + 2L * i) & 0xffff) << 16); }
                    default -> { for (int i = 0; i < n; i++) out[i] = (float) seg.get(F64, at + 8L * i); }
                }
                return new Tensor(name, dt, shape, out, null);
            }
            default -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) {
                    long p = at + (long) i * dt.bytes;
                    out[i] = switch (dt) {
                        case I64 -> seg.get(I64, p);
                        case I32 -> seg.get(I32, p);
                        case I16 -> seg.get(I16, p);
                        case I8 -> seg.get(ValueLayout.JAVA_BYTE, p);
                        case U8, BOOL -> seg.get(ValueLayout.JAVA_BYTE, p) & 0xff;
                        default -> throw new IllegalStateException();
                    };
                }
                return new Tensor(name, dt, shape, null, out);
            }
        }
    }

    /**
     * Writes tensors in their {@link Tensor#storedAs()} dtype (floats are rounded to F16/BF16 as needed), one at a
     * time: pending tensors are decoded for the write and not kept, so converting a checkpoint holds one tensor's
     * values, not all of them. The file is written under a temporary name and moved into place, so a reader never
     * sees half a file, and the source of pending tensors may be the file being replaced.
     */
    public static void write(Path file, StateDict sd) {
        try {
            FileReplacement.write(file, to -> {
                try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(to), 1 << 20)) {
                    write(os, sd);
                }
            });
        } catch (IOException e) {
            throw new ClipFormatException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static void write(OutputStream os, StateDict sd) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!sd.metadata().isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            sd.metadata().forEach(meta::put);
        }
        long off = 0;
        for (String name : sd.names()) { // from the entries' headers: nothing is decoded yet
            ObjectNode n = header.putObject(name);
            n.put("dtype", sd.storedAs(name).name());
            var shape = n.putArray("shape");
            for (int d : sd.shape(name)) shape.add(d);
            long len = sd.storedBytes(name);
            n.putArray("data_offsets").add(off).add(off + len);
            off += len;
        }
        byte[] hb = JSON.writeValueAsBytes(header);
        int pad = (8 - hb.length % 8) % 8; // keep the data section 8-byte aligned, as the reference writer does
        byte[] padded = java.util.Arrays.copyOf(hb, hb.length + pad);
        java.util.Arrays.fill(padded, hb.length, padded.length, (byte) ' ');
        java.nio.ByteBuffer lenBuf = java.nio.ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
        os.write(lenBuf.array());
        os.write(padded);
        for (String name : sd.names()) os.write(encode(sd.peek(name)));
    }

    static byte[] encode(Tensor t) {
        int n = (int) t.numel();
        int values = t.data() != null ? t.data().length : t.longs().length;
        if (values != t.numel()) throw new ClipFormatException(t.describe() + ": shape does not match its " + values + " values");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n * t.storedAs().bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.storedAs()) {
            case F32 -> { for (float v : t.data()) b.putFloat(v); }
            case F64 -> { for (float v : t.data()) b.putDouble(v); }
            case F16 -> { for (float v : t.data()) b.putShort(Float.floatToFloat16(v)); }
            case BF16 -> { for (float v : t.data()) b.putShort(floatToBf16(v)); }
            case I64 -> { for (long v : t.longs()) b.putLong(v); }
            case I32 -> { for (long v : t.longs()) b.putInt((int) v); }
            case I16 -> { for (long v : t.longs()) b.putShort((short) v); }
            case I8, U8, BOOL -> { for (long v : t.longs()) b.put((byte) v); }
        }
        return b.array();
    }

    /** Round-to-nearest-even float32 → bfloat16, NaN kept quiet. */
    public static short floatToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
