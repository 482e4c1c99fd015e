package io.flinkclip.io.nativefmt;

import com.google.protobuf.CodedInputStream;
import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.FileWindows;
import io.flinkclip.io.Progress;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.nativefmt.proto.ModelHeader;
import io.flinkclip.io.nativefmt.proto.MomentRef;
import io.flinkclip.io.nativefmt.proto.TensorEntry;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Reader of the native container (docs/FORMAT.md). {@link #open} memory-maps the file and validates the
 * whole header (magic, version, header CRC32C, every tensor's dtype/shape/length/alignment/bounds, overlaps,
 * consistency of config and shapes) before anything large is allocated; each tensor's CRC32C is checked when
 * it is read. Files may exceed 2 GiB: offsets are longs and data is reached through a {@link MemorySegment}.
 * Instances are thread-safe for reading and must be closed to unmap the file.
 */
public final class NativeModelFile implements AutoCloseable {
    public static final byte[] MAGIC = {'F', 'C', 'L', 'I', 'P', 0};
    public static final int FORMAT_VERSION = 1;
    public static final int ALIGN = 64;
    /** The header holds the vocabulary (~1 MB) and the index; 64 MiB is far above any real model. */
    public static final int MAX_HEADER_BYTES = 64 << 20;
    private static final int MAX_RANK = 8;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One validated index entry. */
    public record TensorInfo(String name, DType dtype, int[] shape, long offset, long length, int crc32c) {
        public long numel() { return length / dtype.bytes; }
    }

    private final Arena arena;
    private final MemorySegment seg;
    /** The file, for tensors decoded after this reader is closed ({@link #pendingWeights}); null for in-memory images. */
    private final FileWindows windows;
    private final String what;
    private final ModelHeader header;
    private final long dataStart;
    private final Map<String, TensorInfo> index = new LinkedHashMap<>();
    private final Set<String> momentTensors = new HashSet<>();
    private final ClipConfig config;

    private NativeModelFile(Arena arena, MemorySegment seg, String what, FileWindows windows) {
        this.arena = arena;
        this.seg = seg;
        this.windows = windows;
        this.what = what;
        long size = seg.byteSize();
        if (size < MAGIC.length || !Arrays.equals(seg.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE), MAGIC))
            throw new ClipFormatException(what + ": not a flink-clip native model file (magic \"FCLIP\\0\" missing)");
        long pos = MAGIC.length;
        long headerLen = 0;
        for (int shift = 0; ; shift += 7) { // protobuf varint, at most 5 bytes for a 32-bit length
            if (shift > 28 || pos >= size) throw new ClipFormatException(what + ": truncated or invalid header length");
            byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
            headerLen |= (long) (b & 0x7f) << shift;
            if (b >= 0) break;
        }
        if (headerLen > MAX_HEADER_BYTES) throw new ClipFormatException(what + ": header length " + headerLen + " exceeds the cap of " + MAX_HEADER_BYTES);
        if (headerLen + 4 > size - pos) throw new ClipFormatException(what + ": header of " + headerLen + " bytes does not fit the " + size + "-byte file");
        byte[] hb = seg.asSlice(pos, headerLen).toArray(ValueLayout.JAVA_BYTE);
        CRC32C c = new CRC32C();
        c.update(hb);
        if ((int) c.getValue() != seg.get(U32, pos + headerLen)) throw new ClipFormatException(what + ": header checksum mismatch (file corrupt)");
        try {
            CodedInputStream in = CodedInputStream.newInstance(hb);
            in.setRecursionLimit(16);
            header = ModelHeader.parseFrom(in);
        } catch (IOException e) { // InvalidProtocolBufferException for every malformed input
            throw new ClipFormatException(what + ": header is not a valid ModelHeader: " + e.getMessage(), e);
        }
        if (header.getFormatVersion() != FORMAT_VERSION)
            throw new ClipFormatException(what + ": format version " + Integer.toUnsignedString(header.getFormatVersion()) + " is not supported (this reader knows " + FORMAT_VERSION + ")");
        dataStart = NativeModelWriter.align(pos + headerLen + 4);
        if (dataStart > size && header.getTensorsCount() > 0) throw new ClipFormatException(what + ": no data section");
        long dataLen = Math.max(0, size - dataStart);
        validateIndex(dataLen);
        config = header.hasConfig() ? ProtoMapping.fromProto(header.getConfig(), what) : null;
        if (config != null) checkConfigMatchesShapes();
    }

    public static NativeModelFile open(Path file) {
        FileWindows windows = FileWindows.of(file);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new NativeModelFile(arena, seg, file.toString(), windows);
        } catch (IOException e) {
            arena.close();
            throw new ClipFormatException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads an in-memory image (the caller owns the segment's lifetime). */
    public static NativeModelFile open(MemorySegment image, String what) {
        return new NativeModelFile(null, image, what, null);
    }

    /** Reads a whole file into memory: weights, vocabulary, preprocessing, provenance, training state. */
    public static NativeModel read(Path file) {
        return read(file, Progress.NONE);
    }

    public static NativeModel read(Path file, Progress progress) {
        try (NativeModelFile f = open(file)) {
            return f.readAll(progress);
        }
    }

    /**
     * As {@link #read}, but the weights come back {@linkplain StateDict#putPending pending}: each is read from the
     * file (its checksum checked) when first asked for, so a model built for inference never holds the whole
     * checkpoint as floats. The file must stay in place, unchanged, until the weights are taken (a changed file
     * fails the next read). Optimizer moments, if any, are read now.
     */
    public static NativeModel readPending(Path file) {
        try (NativeModelFile f = open(file)) {
            return new NativeModel(f.config, f.pendingWeights(), f.preprocessing(), f.vocab(), f.provenance(), f.trainingState());
        }
    }

    /** Writes a model; see {@link NativeModelWriter#write}. */
    public static void write(Path file, NativeModel model, DType floatStorage, Progress progress) {
        NativeModelWriter.write(file, model, floatStorage, progress);
    }

    /** True when the first bytes are the native magic (cheap format sniffing). */
    public static boolean isNative(byte[] head) {
        return head.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC);
    }

    private void validateIndex(long dataLen) {
        List<TensorInfo> byOffset = new ArrayList<>();
        for (TensorEntry e : header.getTensorsList()) {
            String name = e.getName();
            if (name.isEmpty()) throw new ClipFormatException(what + ": a tensor has an empty name");
            DType dt = ProtoMapping.fromProto(e.getDtype(), name);
            if (e.getShapeCount() > MAX_RANK) throw new ClipFormatException(what + ": tensor '" + name + "' has rank " + e.getShapeCount());
            int[] shape = new int[e.getShapeCount()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                int d = e.getShape(i);
                if (d < 0) throw new ClipFormatException(what + ": tensor '" + name + "' has dimension " + Integer.toUnsignedString(d) + " beyond 2^31");
                shape[i] = d;
                numel = Math.multiplyHigh(numel, d) != 0 || numel * d < 0 ? Long.MAX_VALUE : numel * d;
            }
            if (numel > Integer.MAX_VALUE - 8)
                throw new ClipFormatException(what + ": tensor '" + name + "' has " + numel + " elements, more than one Java array holds");
            long off = e.getOffset(), len = e.getLength();
            if (len != numel * dt.bytes)
                throw new ClipFormatException(what + ": tensor '" + name + "' declares " + Long.toUnsignedString(len) + " bytes but " + dt + Arrays.toString(shape) + " needs " + numel * dt.bytes);
            if (off < 0 || off > dataLen || len > dataLen - off)
                throw new ClipFormatException(what + ": tensor '" + name + "' [" + Long.toUnsignedString(off) + ", +" + len + ") lies beyond the "
                        + dataLen + " data bytes of the file (truncated?)");
            if (off % ALIGN != 0) throw new ClipFormatException(what + ": tensor '" + name + "' offset " + off + " is not " + ALIGN + "-byte aligned");
            TensorInfo info = new TensorInfo(name, dt, shape, off, len, e.getCrc32C());
            if (index.put(name, info) != null) throw new ClipFormatException(what + ": duplicate tensor '" + name + "'");
            byOffset.add(info);
        }
        byOffset.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.offset() < prev.offset() + prev.length())
                throw new ClipFormatException(what + ": tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
        }
        if (header.hasTrainingState()) {
            for (MomentRef m : header.getTrainingState().getMomentsList()) {
                if (!index.containsKey(m.getTensor())) throw new ClipFormatException(what + ": training state refers to missing tensor '" + m.getTensor() + "'");
                if (m.getSlot().isEmpty() || m.getParameter().isEmpty()) throw new ClipFormatException(what + ": moment '" + m.getTensor() + "' lacks slot or parameter");
                momentTensors.add(m.getTensor());
            }
        }
    }

    /** The weights must be the architecture the header claims (head counts are not visible in shapes). */
    private void checkConfigMatchesShapes() {
        Map<String, int[]> shapes = new HashMap<>();
        for (TensorInfo t : index.values()) if (!momentTensors.contains(t.name())) shapes.put(t.name(), t.shape());
        if (shapes.isEmpty()) return;
        ClipConfig inferred;
        try {
            inferred = ClipConfig.infer(shapes);
        } catch (ClipFormatException e) {
            throw new ClipFormatException(what + ": weights do not form a CLIP model: " + e.getMessage(), e);
        }
        if (!inferred.withHeads(config.visionHeads(), config.textHeads()).equals(config))
            throw new ClipFormatException(what + ": header config " + config + " does not match the weights " + inferred);
    }

    public ClipConfig config() { return config; }

    public Preprocessing preprocessing() {
        return header.hasPreprocessing() ? ProtoMapping.fromProto(header.getPreprocessing(), what) : null;
    }

    public BpeVocab vocab() {
        return header.hasTokenizer() ? ProtoMapping.fromProto(header.getTokenizer(), what) : null;
    }

    public Provenance provenance() {
        if (!header.hasProvenance()) return null;
        var p = header.getProvenance();
        return new Provenance(p.getSource(), p.getSourceFormat(), p.getConverterVersion(), p.getCreatedUnixMillis());
    }

    public Map<String, String> metadata() { return header.getMetadataMap(); }

    /** All index entries (weights and moments), in file order of the header. */
    public Map<String, TensorInfo> index() { return Collections.unmodifiableMap(index); }

    /** The raw little-endian bytes of a tensor, zero-copy (valid until {@link #close()}); CRC not checked. */
    public MemorySegment rawBytes(String name) {
        TensorInfo t = info(name);
        return seg.asSlice(dataStart + t.offset(), t.length()).asReadOnly();
    }

    /** Reads one tensor, checking its CRC32C. */
    public Tensor tensor(String name) {
        return tensor(name, name);
    }

    private Tensor tensor(String name, String as) {
        TensorInfo t = info(name);
        return checkedDecode(seg, dataStart + t.offset(), t, as, what);
    }

    /** Decodes {@code t}'s bytes at {@code at} after checking their CRC32C. */
    private static Tensor checkedDecode(MemorySegment seg, long at, TensorInfo t, String as, String what) {
        return TensorCodec.decode(checked(seg, at, t, what), at, (int) t.numel(), t.dtype(), as, t.shape());
    }

    /** {@code seg}, once {@code t}'s bytes at {@code at} have matched their CRC32C. */
    private static MemorySegment checked(MemorySegment seg, long at, TensorInfo t, String what) {
        CRC32C c = new CRC32C();
        for (long done = 0; done < t.length(); ) { // ByteBuffer views are limited to 2 GiB: go in slices
            long n = Math.min(t.length() - done, 1L << 26);
            c.update(seg.asSlice(at + done, n).asByteBuffer());
            done += n;
        }
        if ((int) c.getValue() != t.crc32c()) throw new ClipFormatException(what + ": tensor '" + t.name() + "' checksum mismatch (file corrupt)");
        return seg;
    }

    /** All weights, pending: each decoded from the file (not this reader's mapping) when asked for. */
    private StateDict pendingWeights() {
        if (windows == null) throw new IllegalStateException("pending weights need a file; this reader holds an in-memory image");
        StateDict sd = new StateDict();
        sd.metadata().putAll(header.getMetadataMap());
        for (TensorInfo t : index.values()) {
            if (momentTensors.contains(t.name())) continue;
            long at = dataStart + t.offset();
            String window = "tensor '" + t.name() + "'";
            sd.putPending(t.name(), t.dtype(), t.shape(), () -> windows.read(at, t.length(), window, s -> checkedDecode(s, 0, t, t.name(), what)),
                    t.dtype().isSixteenBitFloat() ? () -> windows.read(at, t.length(), window, s -> SafeTensors.bits16(checked(s, 0, t, what), 0, t.numel())) : null);
        }
        return sd;
    }

    private TensorInfo info(String name) {
        TensorInfo t = index.get(name);
        if (t == null) throw new ClipFormatException(what + ": no tensor '" + name + "'");
        return t;
    }

    /** All weights (every tensor that is not an optimizer moment), in index order. */
    public StateDict weights(Progress progress) {
        StateDict sd = new StateDict();
        sd.metadata().putAll(header.getMetadataMap());
        long total = index.values().stream().filter(t -> !momentTensors.contains(t.name())).mapToLong(TensorInfo::length).sum();
        progress.begin("reading " + what, total);
        for (TensorInfo t : index.values()) {
            if (momentTensors.contains(t.name())) continue;
            sd.put(tensor(t.name()));
            progress.advance(t.length());
        }
        progress.end();
        return sd;
    }

    public TrainingState trainingState() {
        if (!header.hasTrainingState()) return null;
        var ts = header.getTrainingState();
        Map<String, StateDict> moments = new LinkedHashMap<>();
        for (MomentRef m : ts.getMomentsList()) moments.computeIfAbsent(m.getSlot(), k -> new StateDict()).put(tensor(m.getTensor(), m.getParameter()));
        return new TrainingState(ts.getStep(), ts.getSchedulePosition(), ts.getOptimizer(), moments, ts.getRngState().toByteArray(),
                ts.getDataPositionMap(), ts.getLossScale());
    }

    public NativeModel readAll(Progress progress) {
        return new NativeModel(config, weights(progress), preprocessing(), vocab(), provenance(), trainingState());
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }
}
