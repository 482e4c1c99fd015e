package io.flinkclip.io;

import io.flinkclip.io.convert.ModelConverter;
import io.flinkclip.io.convert.ModelFormat;
import io.flinkclip.io.hf.HfNames;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.NativeModelFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Weights read lazily: headers checked up front, each tensor decoded when asked for, from the file as it was. */
class PendingWeightsTest {
    @TempDir Path dir;

    private static long decodedCount(StateDict sd) {
        return sd.names().stream().filter(sd::isDecoded).count();
    }

    @Test
    void openedSafetensorsDecodeNothingUntilATensorIsAskedFor() {
        StateDict eager = SafeTensors.read(TestData.tinyVit());
        StateDict lazy = SafeTensors.open(TestData.tinyVit());
        assertEquals(new ArrayList<>(eager.names()), new ArrayList<>(lazy.names()));
        assertEquals(0, decodedCount(lazy));
        assertEquals(ClipConfig.infer(eager), ClipConfig.infer(lazy));
        assertEquals(eager.floatElements(), lazy.floatElements());
        for (String n : eager.names()) {
            assertArrayEquals(eager.get(n).shape(), lazy.shape(n), n);
            assertEquals(eager.get(n).storedAs(), lazy.storedAs(n), n);
        }
        assertEquals(0, decodedCount(lazy), "shape queries and architecture inference decode nothing");

        Tensor proj = lazy.get("visual.proj");
        assertSame(proj, lazy.get("visual.proj"), "decoded once, then kept");
        Tensor peeked = lazy.peek("text_projection");
        assertFalse(lazy.isDecoded("text_projection"), "peek does not keep what it decodes");
        assertNotSame(peeked, lazy.peek("text_projection"));
        assertEquals(1, decodedCount(lazy));
        assertThrows(ClipFormatException.class, () -> lazy.floats("ln_final.weight", 3, 3), "shape checked before decoding");
        assertFalse(lazy.isDecoded("ln_final.weight"));
        assertTrue(lazy.remove("ln_final.bias"));
        assertFalse(lazy.has("ln_final.bias"));
        eager.remove("ln_final.bias");
        TestData.assertBitExact(eager, lazy);
    }

    /**
     * 16-bit tensors of a file hand out their stored values as they are (StateDict.bits16): the same values the decoder
     * widens, nothing kept, nothing where there is no file value to give (fp32, decoded, derived); through the same
     * checks as a decode (the native CRC32C, the file's identity).
     */
    @Test
    void storedSixteenBitValuesComeFromTheFileWithTheSameChecks() throws Exception {
        Path st = dir.resolve("h.safetensors"), nat = dir.resolve("h.fclip");
        ModelConverter.convert(TestData.tinyVit(), null, st, ModelFormat.SAFETENSORS, DType.F16, io.flinkclip.io.Progress.NONE);
        ModelConverter.convert(TestData.tinyVit(), null, nat, ModelFormat.NATIVE, DType.BF16, io.flinkclip.io.Progress.NONE);
        for (StateDict sd : new StateDict[] {SafeTensors.open(st), NativeModelFile.readPending(nat).weights()}) {
            String w = "transformer.resblocks.0.mlp.c_fc.weight";
            int[] shape = sd.shape(w);
            short[] bits = sd.bits16(w, shape);
            assertFalse(sd.isDecoded(w), "stored values are handed out, not kept");
            float[] floats = sd.peek(w).data();
            assertEquals(floats.length, bits.length);
            for (int i = 0; i < bits.length; i++) {
                float v = sd.storedAs(w) == DType.F16 ? Float.float16ToFloat(bits[i]) : Float.intBitsToFloat(bits[i] << 16);
                assertEquals(Float.floatToRawIntBits(floats[i]), Float.floatToRawIntBits(v), w + " element " + i);
            }
            assertThrows(ClipFormatException.class, () -> sd.bits16(w, 3, 3), "shape checked first");
            sd.get(w);
            assertNull(sd.bits16(w, shape), "a decoded entry answers with its floats");
            StateDict renamed = new StateDict().putFrom(sd, "visual.proj", "p");
            assertNotNull(renamed.bits16("p", sd.shape("visual.proj")), "a rename keeps the stored values");
        }
        assertNull(SafeTensors.open(TestData.tinyVit()).bits16("visual.proj", SafeTensors.read(TestData.tinyVit()).shape("visual.proj")),
                "fp32 files have no 16-bit values");

        // A corrupt value fails its CRC32C; a touched file fails its identity check; both before any value is used.
        byte[] raw;
        try (NativeModelFile nf = NativeModelFile.open(nat)) {
            raw = nf.rawBytes("visual.proj").toArray(ValueLayout.JAVA_BYTE);
        }
        byte[] file = Files.readAllBytes(nat);
        file[indexOf(file, raw) + 3] ^= 0x01;
        Files.write(nat, file);
        StateDict bad = NativeModelFile.readPending(nat).weights();
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> bad.bits16("visual.proj", bad.shape("visual.proj")));
        assertTrue(e.getMessage().contains("visual.proj") && e.getMessage().contains("checksum"), e.getMessage());
        StateDict opened = SafeTensors.open(st);
        Files.setLastModifiedTime(st, FileTime.fromMillis(Files.getLastModifiedTime(st).toMillis() + 10_000));
        e = assertThrows(ClipFormatException.class, () -> opened.bits16("visual.proj", opened.shape("visual.proj")));
        assertTrue(e.getMessage().contains("changed after its header was read"), e.getMessage());
    }

    @Test
    void aChangedOrDeletedFileFailsTheNextDecodeWithAClearError() throws Exception {
        Path f = dir.resolve("m.safetensors");
        Files.copy(TestData.tinyVit(), f);
        StateDict lazy = SafeTensors.open(f);
        lazy.get("visual.proj");

        FileTime t = Files.getLastModifiedTime(f); // same size, rewritten later: as a re-download would be
        Files.setLastModifiedTime(f, FileTime.fromMillis(t.toMillis() + 10_000));
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> lazy.get("text_projection"));
        assertTrue(e.getMessage().contains("changed after its header was read"), e.getMessage());

        StateDict again = SafeTensors.open(f);
        Files.write(f, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        e = assertThrows(ClipFormatException.class, () -> again.get("text_projection"));
        assertTrue(e.getMessage().contains("changed after its header was read"), e.getMessage());

        StateDict gone = SafeTensors.open(TestData.tinyVit());
        Path g = dir.resolve("g.safetensors");
        Files.copy(TestData.tinyVit(), g);
        StateDict fromG = SafeTensors.open(g);
        Files.delete(g);
        e = assertThrows(ClipFormatException.class, () -> fromG.get("visual.proj"));
        assertTrue(e.getMessage().contains("cannot read") && e.getMessage().contains(g.toString()), e.getMessage());
        assertNotNull(gone.get("visual.proj"));
    }

    @Test
    void huggingFaceNamesConvertWithoutDecoding() {
        StateDict oai = SafeTensors.read(TestData.tinyVit());
        Path f = dir.resolve("hf.safetensors");
        SafeTensors.write(f, HfNames.toHf(oai));
        StateDict hf = SafeTensors.open(f);
        StateDict back = ModelNaming.toOpenAi(hf);
        assertEquals(0, decodedCount(back), "renames, transposes and q/k/v joins stay pending");
        assertEquals(ClipConfig.infer(oai), ClipConfig.infer(back));
        TestData.assertBitExact(oai, back);
        assertEquals(0, decodedCount(hf), "the source keeps nothing it decoded for the conversion");
    }

    @Test
    void nativeWeightsAreChecksummedWhenEachIsRead() throws Exception {
        StateDict orig = SafeTensors.read(TestData.tinyVit());
        Path f = dir.resolve("m.fclip");
        ModelConverter.convert(TestData.tinyVit(), TestData.openAiVocab(), f, ModelFormat.NATIVE, null, io.flinkclip.io.Progress.NONE);
        NativeModel m = NativeModelFile.readPending(f);
        assertEquals(0, decodedCount(m.weights()));
        assertNotNull(m.vocab());
        TestData.assertBitExact(orig, m.weights());

        // Corrupt one value of visual.proj: the header (and its CRC) still parse, that tensor's read fails.
        byte[] raw;
        try (NativeModelFile nf = NativeModelFile.open(f)) {
            raw = nf.rawBytes("visual.proj").toArray(ValueLayout.JAVA_BYTE);
        }
        byte[] file = Files.readAllBytes(f);
        int at = indexOf(file, raw);
        assertTrue(at > 0);
        file[at + 5] ^= 0x10;
        Files.write(f, file);
        NativeModel bad = NativeModelFile.readPending(f);
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> bad.weights().get("visual.proj"));
        assertTrue(e.getMessage().contains("visual.proj") && e.getMessage().contains("checksum"), e.getMessage());
        assertArrayEquals(orig.get("text_projection").data(), bad.weights().get("text_projection").data(), 0f);
    }

    /**
     * The writers stream: each pending tensor is decoded when written and not kept, and the target is a temporary
     * file moved into place after the last read, so a model converts onto itself.
     */
    @Test
    void convertingAModelOntoItselfReadsItBeforeWriting() {
        Path f = dir.resolve("self.fclip"), other = dir.resolve("other.fclip");
        ModelConverter.convert(TestData.tinyVit(), null, f, ModelFormat.NATIVE, null, io.flinkclip.io.Progress.NONE);
        ModelConverter.convert(f, null, other, ModelFormat.NATIVE, DType.F16, io.flinkclip.io.Progress.NONE);
        ModelConverter.convert(f, null, f, ModelFormat.NATIVE, DType.F16, io.flinkclip.io.Progress.NONE);
        TestData.assertBitExact(NativeModelFile.read(other).weights(), NativeModelFile.read(f).weights());

        Path st = dir.resolve("self.safetensors"), stOther = dir.resolve("other.safetensors");
        SafeTensors.write(st, SafeTensors.read(TestData.tinyVit()));
        ModelConverter.convert(st, null, stOther, ModelFormat.SAFETENSORS, DType.BF16, io.flinkclip.io.Progress.NONE);
        ModelConverter.convert(st, null, st, ModelFormat.SAFETENSORS, DType.BF16, io.flinkclip.io.Progress.NONE);
        TestData.assertBitExact(SafeTensors.read(stOther), SafeTensors.read(st));
        assertFalse(Files.exists(dir.resolve("self.safetensors.tmp")));
    }

    @Test
    void savingDecodesEachPendingTensorForTheWriteAlone() throws Exception {
        StateDict eager = SafeTensors.read(TestData.tinyVit());
        ClipConfig cfg = ClipConfig.infer(eager);
        for (ModelFormat format : ModelFormat.values()) {
            for (DType storage : new DType[] {null, DType.F16}) { // null: the writer takes the source dict itself
                StateDict pending = SafeTensors.open(TestData.tinyVit());
                NativeModel m = new NativeModel(cfg, pending, null, null, null, null);
                Path lazyOut = dir.resolve("lazy-" + format + storage), eagerOut = dir.resolve("eager-" + format + storage);
                ModelConverter.save(m, lazyOut, format, storage, io.flinkclip.io.Progress.NONE);
                assertEquals(0, decodedCount(pending), format + " " + storage + ": the writer kept nothing it decoded");
                ModelConverter.save(new NativeModel(cfg, eager, null, null, null, null), eagerOut, format, storage, io.flinkclip.io.Progress.NONE);
                TestData.assertBitExact(ModelConverter.load(eagerOut, null, io.flinkclip.io.Progress.NONE).weights(),
                        ModelConverter.load(lazyOut, null, io.flinkclip.io.Progress.NONE).weights());
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        List<Integer> hits = new ArrayList<>();
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            hits.add(i);
        }
        assertEquals(1, hits.size(), "the tensor's bytes occur once in the file");
        return hits.get(0);
    }
}
