package io.flinkclip.io.nativefmt;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.FileReplacement;
import io.flinkclip.io.Progress;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.nativefmt.proto.ModelHeader;
import io.flinkclip.io.nativefmt.proto.MomentRef;
import io.flinkclip.io.nativefmt.proto.TensorEntry;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Writes the native container (see docs/FORMAT.md). Tensors are encoded twice in 1 MiB chunks, once for their
 * CRC32C (which the header holds) and once to the file, so memory stays bounded by the chunk size whatever the
 * model size; a pending tensor (read on demand) is decoded for each pass and not kept, so converting a checkpoint
 * holds one tensor's values at a time. The file is written under a temporary name and moved into place
 * ({@link FileReplacement}), so readers never see half a file.
 */
public final class NativeModelWriter {
    private NativeModelWriter() {}

    private static final int CHUNK_BYTES = 1 << 20;
    /** Prefix of optimizer-moment tensors in the index: {@code optim/<slot>/<parameter>}. */
    static final String MOMENT_PREFIX = "optim/";

    /**
     * @param floatStorage F32, F16 or BF16 for every float tensor; null keeps each tensor's {@link Tensor#storedAs()}
     */
    public static void write(Path file, NativeModel model, DType floatStorage, Progress progress) {
        if (floatStorage != null && floatStorage != DType.F32 && floatStorage != DType.F16 && floatStorage != DType.BF16)
            throw new IllegalArgumentException("float storage must be F32, F16 or BF16, not " + floatStorage);
        List<Item> items = new ArrayList<>();
        Set<String> names = new HashSet<>();
        StateDict weights = model.weights();
        for (String n : weights.names()) add(weights, n, n, floatStorage, items, names);
        ModelHeader.Builder h = ModelHeader.newBuilder().setFormatVersion(NativeModelFile.FORMAT_VERSION);
        if (model.config() != null) h.setConfig(ProtoMapping.toProto(model.config()));
        if (model.preprocessing() != null) h.setPreprocessing(ProtoMapping.toProto(model.preprocessing()));
        if (model.vocab() != null) h.setTokenizer(ProtoMapping.toProto(model.vocab()));
        if (model.provenance() != null) {
            Provenance p = model.provenance();
            h.setProvenance(io.flinkclip.io.nativefmt.proto.Provenance.newBuilder().setSource(nz(p.source()))
                    .setSourceFormat(nz(p.sourceFormat())).setConverterVersion(nz(p.converterVersion())).setCreatedUnixMillis(p.createdUnixMillis()));
        }
        h.putAllMetadata(model.weights().metadata());
        TrainingState ts = model.training();
        if (ts != null) {
            var tb = io.flinkclip.io.nativefmt.proto.TrainingState.newBuilder().setStep(ts.step()).setSchedulePosition(ts.schedulePosition())
                    .setOptimizer(ts.optimizer()).setRngState(ByteString.copyFrom(ts.rngState())).putAllDataPosition(ts.dataPosition())
                    .setLossScale(ts.lossScale());
            for (Map.Entry<String, StateDict> slot : new java.util.TreeMap<>(ts.moments()).entrySet()) {
                StateDict moments = slot.getValue();
                for (String parameter : moments.names()) {
                    String name = MOMENT_PREFIX + slot.getKey() + "/" + parameter;
                    // moments stay in their own precision (F32 normally): rounding them would change the optimizer
                    add(moments, parameter, name, null, items, names);
                    tb.addMoments(MomentRef.newBuilder().setParameter(parameter).setSlot(slot.getKey()).setTensor(name));
                }
            }
            h.setTrainingState(tb);
        }
        long offset = 0, total = 0;
        for (Item it : items) total += it.bytes();
        progress.begin("checksumming", total);
        for (Item it : items) {
            h.addTensors(TensorEntry.newBuilder().setName(it.name).setDtype(ProtoMapping.toProto(it.dtype)).addAllShape(shape(it.shape))
                    .setOffset(offset).setLength(it.bytes()).setCrc32C(crc(it.values(), it.dtype, progress)));
            offset = align(offset + it.bytes());
        }
        progress.end();
        byte[] header = h.build().toByteArray();
        if (header.length > NativeModelFile.MAX_HEADER_BYTES)
            throw new ClipFormatException("header of " + header.length + " bytes exceeds the format's cap of " + NativeModelFile.MAX_HEADER_BYTES);
        long totalBytes = total;
        try {
            FileReplacement.write(file, to -> writeFile(to, file, header, items, totalBytes, progress));
        } catch (IOException e) {
            throw new ClipFormatException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void writeFile(Path to, Path file, byte[] header, List<Item> items, long total, Progress progress) throws IOException {
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer pre = ByteBuffer.allocate(NativeModelFile.MAGIC.length + 5 + header.length + 4).order(ByteOrder.LITTLE_ENDIAN);
            pre.put(NativeModelFile.MAGIC);
            byte[] varint = new byte[CodedOutputStream.computeUInt32SizeNoTag(header.length)];
            CodedOutputStream cos = CodedOutputStream.newInstance(varint);
            cos.writeUInt32NoTag(header.length);
            cos.flush();
            pre.put(varint).put(header);
            CRC32C c = new CRC32C();
            c.update(header);
            pre.putInt((int) c.getValue());
            pre.flip();
            long pos = writeFully(ch, pre);
            pos = pad(ch, pos);
            progress.begin("writing " + file.getFileName(), total);
            ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < items.size(); i++) {
                Item it = items.get(i);
                Tensor t = it.values();
                DType dt = it.dtype;
                int per = CHUNK_BYTES / dt.bytes, n = (int) t.numel();
                for (int from = 0; from < n; from += per) {
                    int count = Math.min(per, n - from);
                    buf.clear();
                    TensorCodec.encode(t, dt, from, count, buf);
                    buf.flip();
                    pos += writeFully(ch, buf);
                    progress.advance((long) count * dt.bytes);
                }
                if (i < items.size() - 1) pos = pad(ch, pos);
            }
            progress.end();
            ch.force(true);
        }
    }

    /**
     * One tensor to write: {@code from}'s entry {@code source} under {@code name}, stored as {@code dtype}. Its values
     * are taken when the writer gets to it ({@link StateDict#peek}: a pending entry is decoded for that pass only).
     */
    private record Item(String name, StateDict from, String source, DType dtype, int[] shape) {
        long bytes() {
            long n = dtype.bytes;
            for (int d : shape) n *= d;
            return n;
        }

        Tensor values() {
            Tensor t = from.peek(source);
            if (t.numel() != (t.data() != null ? t.data().length : t.longs().length))
                throw new ClipFormatException(t.describe() + ": shape does not match its " + (t.data() != null ? t.data().length : t.longs().length) + " values");
            if (t.isFloat() != dtype.isFloat()) throw new ClipFormatException(t.describe() + ": values and dtype disagree");
            return t;
        }
    }

    private static void add(StateDict from, String source, String name, DType floatStorage, List<Item> items, Set<String> names) {
        if (!names.add(name)) throw new ClipFormatException("duplicate tensor name '" + name + "'");
        DType stored = from.storedAs(source);
        items.add(new Item(name, from, source, stored.isFloat() && floatStorage != null ? floatStorage : stored, from.shape(source)));
    }

    private static List<Integer> shape(int[] shape) {
        List<Integer> s = new ArrayList<>();
        for (int d : shape) s.add(d);
        return s;
    }

    private static int crc(Tensor t, DType dt, Progress progress) {
        CRC32C c = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int per = CHUNK_BYTES / dt.bytes, n = (int) t.numel();
        for (int from = 0; from < n; from += per) {
            int count = Math.min(per, n - from);
            buf.clear();
            TensorCodec.encode(t, dt, from, count, buf);
            buf.flip();
            c.update(buf);
            progress.advance((long) count * dt.bytes);
        }
        return (int) c.getValue();
    }

    static long align(long x) { return (x + NativeModelFile.ALIGN - 1) & -NativeModelFile.ALIGN; }

    private static long pad(FileChannel ch, long pos) throws IOException {
        long to = align(pos);
        if (to > pos) writeFully(ch, ByteBuffer.allocate((int) (to - pos)));
        return to;
    }

    private static long writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        long n = b.remaining();
        while (b.hasRemaining()) ch.write(b);
        return n;
    }

    private static String nz(String s) { return s == null ? "" : s; }
}
