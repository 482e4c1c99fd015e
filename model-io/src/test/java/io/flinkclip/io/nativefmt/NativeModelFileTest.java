package io.flinkclip.io.nativefmt;

import com.google.protobuf.CodedOutputStream;
import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.Progress;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.TestData;
import io.flinkclip.io.nativefmt.proto.ModelHeader;
import io.flinkclip.io.nativefmt.proto.TensorDType;
import io.flinkclip.io.nativefmt.proto.TensorEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

class NativeModelFileTest {
    @TempDir Path dir;

    static NativeModel tinyVitModel() {
        StateDict sd = SafeTensors.read(TestData.tinyVit());
        ClipConfig c = ClipConfig.infer(sd);
        return new NativeModel(c, sd, Preprocessing.openAi(c.imageResolution()), BpeVocab.readOpenAi(TestData.openAiVocab()),
                Provenance.now("tiny-vit", "openai-safetensors"), null);
    }

    @Test
    void f32RoundTripIsBitExactWithEverything() {
        NativeModel m = tinyVitModel();
        StateDict adam = new StateDict();
        for (String n : List.of("visual.proj", "logit_scale")) {
            Tensor w = m.weights().get(n);
            float[] v = w.data().clone();
            for (int i = 0; i < v.length; i++) v[i] = v[i] * 0.5f + i;
            adam.put(new Tensor(n, DType.F32, w.shape(), v, null));
        }
        TrainingState ts = new TrainingState(1234, 0.25, "adamw", Map.of("exp_avg", adam), new byte[] {1, 2, 3},
                Map.of("shard-0", 99L), 65536f);
        Path f = dir.resolve("m.fclip");
        NativeModelWriter.write(f, m.withTraining(ts), null, Progress.NONE);
        NativeModel back = NativeModelFile.read(f);
        TestData.assertBitExact(m.weights(), back.weights());
        assertEquals(m.config(), back.config());
        assertEquals(m.preprocessing(), back.preprocessing());
        assertEquals(m.vocab(), back.vocab());
        assertEquals(49408, back.vocab().vocabSize());
        assertEquals(m.provenance(), back.provenance());
        TrainingState t2 = back.training();
        assertEquals(1234, t2.step());
        assertEquals(0.25, t2.schedulePosition());
        assertEquals("adamw", t2.optimizer());
        assertArrayEquals(new byte[] {1, 2, 3}, t2.rngState());
        assertEquals(Map.of("shard-0", 99L), t2.dataPosition());
        assertEquals(65536f, t2.lossScale());
        TestData.assertBitExact(adam, t2.moments().get("exp_avg"));
        assertEquals(m.weights().metadata(), back.weights().metadata());
    }

    @Test
    void tensorsAreAlignedAndZeroCopyReadable() {
        Path f = dir.resolve("m.fclip");
        NativeModelWriter.write(f, tinyVitModel(), DType.F32, Progress.NONE);
        try (NativeModelFile nf = NativeModelFile.open(f)) {
            for (String n : nf.index().keySet()) {
                MemorySegment s = nf.rawBytes(n);
                assertEquals(0, s.address() % 64, n);
            }
            float[] expect = nf.tensor("visual.proj").data();
            MemorySegment raw = nf.rawBytes("visual.proj");
            assertEquals(expect[5], raw.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 20));
        }
    }

    @Test
    void halfPrecisionRoundTripsAreStableAfterOneRounding() {
        NativeModel m = tinyVitModel();
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            Path a = dir.resolve("a-" + dt), b = dir.resolve("b-" + dt);
            NativeModelWriter.write(a, m, dt, Progress.NONE);
            NativeModel once = NativeModelFile.read(a);
            NativeModelWriter.write(b, once, dt, Progress.NONE);
            NativeModel twice = NativeModelFile.read(b);
            TestData.assertBitExact(once.weights(), twice.weights());
            float[] orig = m.weights().get("visual.proj").data(), got = once.weights().get("visual.proj").data();
            for (int i = 0; i < orig.length; i++) {
                float r = dt == DType.F16 ? Float.float16ToFloat(Float.floatToFloat16(orig[i]))
                        : Float.intBitsToFloat(SafeTensors.floatToBf16(orig[i]) << 16);
                assertEquals(r, got[i]);
            }
            assertEquals(dt, once.weights().get("visual.proj").storedAs());
        }
    }

    // ---- hostile files ----

    /** Assembles a container around an arbitrary header (valid header CRC unless {@code crcOk} is false). */
    static byte[] container(ModelHeader h, byte[] data, boolean crcOk) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(NativeModelFile.MAGIC);
        byte[] hb = h.toByteArray();
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        cos.writeUInt32NoTag(hb.length);
        cos.flush();
        out.write(hb);
        CRC32C c = new CRC32C();
        c.update(hb);
        int crc = (int) c.getValue() ^ (crcOk ? 0 : 1);
        out.write(new byte[] {(byte) crc, (byte) (crc >> 8), (byte) (crc >> 16), (byte) (crc >> 24)});
        while (out.size() % 64 != 0) out.write(0);
        out.write(data);
        return out.toByteArray();
    }

    static TensorEntry entry(String name, long off, long len, int... shape) {
        TensorEntry.Builder b = TensorEntry.newBuilder().setName(name).setDtype(TensorDType.F32).setOffset(off).setLength(len);
        for (int d : shape) b.addShape(d);
        return b.build();
    }

    private static String fail(byte[] bytes) {
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> {
            try (NativeModelFile f = NativeModelFile.open(MemorySegment.ofArray(bytes), "t")) {
                for (String n : f.index().keySet()) f.tensor(n);
            }
        });
        return e.getMessage();
    }

    @Test
    void rejectsBadMagicVersionAndHeader() throws Exception {
        assertTrue(fail(new byte[] {1, 2, 3}).contains("magic"));
        assertTrue(fail("FCLIP\0".getBytes()).contains("header length"));
        ModelHeader ok = ModelHeader.newBuilder().setFormatVersion(1).build();
        NativeModelFile.open(MemorySegment.ofArray(container(ok, new byte[0], true)), "ok").close();
        assertTrue(fail(container(ModelHeader.newBuilder().setFormatVersion(2).build(), new byte[0], true)).contains("version 2"));
        assertTrue(fail(container(ok, new byte[0], false)).contains("checksum"));
        // a header length far beyond the cap, declared in a tiny file: refused before allocation
        byte[] huge = {'F', 'C', 'L', 'I', 'P', 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
        assertTrue(fail(huge).contains("exceeds the cap"));
        byte[] biggerThanFile = {'F', 'C', 'L', 'I', 'P', 0, (byte) 0x80, (byte) 0x80, 0x01, 1, 2};
        assertTrue(fail(biggerThanFile).contains("does not fit"));
    }

    @Test
    void rejectsBadIndexBeforeAllocating() throws Exception {
        byte[] data = new byte[128];
        // 2^31-ish elements declared, data of 128 bytes: must fail on bounds, not allocate 8 GB
        ModelHeader big = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("w", 0, 4L * 500_000_000, 500_000_000)).build();
        assertTrue(fail(container(big, data, true)).contains("beyond"));
        ModelHeader tooMany = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("w", 0, 4L * 65536 * 65536, 65536, 65536)).build();
        assertTrue(fail(container(tooMany, data, true)).contains("elements"));
        ModelHeader overflow = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("w", Long.MAX_VALUE - 8, 16, 4)).build();
        assertTrue(fail(container(overflow, data, true)).contains("beyond"));
        ModelHeader wrongLen = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("w", 0, 12, 4)).build();
        assertTrue(fail(container(wrongLen, data, true)).contains("needs"));
        ModelHeader overlap = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("a", 0, 64, 16)).addTensors(entry("b", 0, 64, 16)).build();
        assertTrue(fail(container(overlap, data, true)).contains("overlap"));
        ModelHeader dup = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("a", 0, 16, 4)).addTensors(entry("a", 64, 16, 4)).build();
        assertTrue(fail(container(dup, data, true)).contains("duplicate"));
        ModelHeader unaligned = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("a", 4, 16, 4)).build();
        assertTrue(fail(container(unaligned, data, true)).contains("aligned"));
        ModelHeader noDtype = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("a", 0, 16, 4).toBuilder().setDtype(TensorDType.DTYPE_UNSPECIFIED)).build();
        assertTrue(fail(container(noDtype, data, true)).contains("dtype"));
        ModelHeader badCrc = ModelHeader.newBuilder().setFormatVersion(1).addTensors(entry("a", 0, 16, 4).toBuilder().setCrc32C(12345)).build();
        assertTrue(fail(container(badCrc, data, true)).contains("checksum"));
    }

    @Test
    void rejectsTruncationAndConfigMismatch() throws Exception {
        Path f = dir.resolve("m.fclip");
        NativeModel m = tinyVitModel();
        NativeModelWriter.write(f, m, null, Progress.NONE);
        byte[] all = Files.readAllBytes(f);
        assertTrue(fail(java.util.Arrays.copyOf(all, all.length - 100)).contains("beyond"));
        ClipConfig wrong = m.config().withHeads(m.config().visionHeads(), m.config().textHeads());
        wrong = new ClipConfig(wrong.embedDim() * 2, wrong.imageResolution(), wrong.visionLayers(), wrong.visionWidth(), wrong.visionPatchSize(),
                wrong.visionHeads(), wrong.contextLength(), wrong.vocabSize(), wrong.textWidth(), wrong.textHeads(), wrong.textLayers());
        NativeModelWriter.write(f, new NativeModel(wrong, m.weights(), null, null, null, null), null, Progress.NONE);
        assertTrue(fail(Files.readAllBytes(f)).contains("does not match"));
    }

    /** A sparse file whose second tensor starts beyond 2 GiB: offsets are longs end to end. */
    @Test
    void tensorsBeyondTwoGigabytesAreReachable() throws Exception {
        long far = (1L << 31) + 4096;
        float[] vals = {1.5f, -2f, 3.25f, 1e-3f};
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : vals) bb.putFloat(v);
        CRC32C crc = new CRC32C();
        crc.update(bb.array());
        CRC32C zeros = new CRC32C();
        zeros.update(new byte[16]);
        ModelHeader h = ModelHeader.newBuilder().setFormatVersion(1)
                .addTensors(entry("near", 0, 16, 4).toBuilder().setCrc32C((int) zeros.getValue()))
                .addTensors(entry("far", far, 16, 4).toBuilder().setCrc32C((int) crc.getValue())).build();
        byte[] head = container(h, new byte[0], true);
        Path f = dir.resolve("sparse.fclip");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.write(head);
            raf.setLength(head.length + far + 16); // sparse: no disk blocks for the gap
            raf.seek(head.length + far);
            raf.write(bb.array());
        }
        try (NativeModelFile nf = NativeModelFile.open(f)) {
            assertArrayEquals(vals, nf.tensor("far").data());
            assertArrayEquals(new float[4], nf.tensor("near").data());
            assertEquals(far, nf.index().get("far").offset());
        } finally {
            Files.delete(f);
        }
    }
}
