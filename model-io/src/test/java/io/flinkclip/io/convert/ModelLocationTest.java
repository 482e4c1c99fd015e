package io.flinkclip.io.convert;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.Progress;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.TestData;
import io.flinkclip.io.nativefmt.NativeModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ModelLocationTest {
    @TempDir static Path dir;
    static Path st, nat, hf;
    static StateDict orig;

    @BeforeAll
    static void files() throws Exception {
        orig = SafeTensors.read(TestData.tinyVit());
        st = dir.resolve("st/model.safetensors");
        Files.createDirectories(st.getParent());
        Files.copy(TestData.tinyVit(), st);
        Files.copy(TestData.openAiVocab(), st.resolveSibling("bpe_simple_vocab_16e6.txt.gz"));
        nat = dir.resolve("m.fclip");
        hf = dir.resolve("hf");
        ModelConverter.convert(st, TestData.openAiVocab(), nat, null, null, Progress.NONE);
        ModelConverter.convert(nat, null, hf, null, null, Progress.NONE);
    }

    @Test
    void plainPathsAndFileUris() {
        NativeModel a = ModelLocation.open(st.toString());
        assertNotNull(a.vocab(), "vocabulary beside the safetensors file is picked up");
        TestData.assertBitExact(orig, a.weights());
        NativeModel b = ModelLocation.open(nat.toUri().toString());
        TestData.assertBitExact(orig, b.weights());
        assertEquals(a.vocab(), b.vocab());
        NativeModel c = ModelLocation.open(hf.toUri().toString());
        TestData.assertBitExact(orig, c.weights());
        assertEquals(a.config(), c.config());
        NativeModel d = ModelLocation.open(st.toString(), TestData.openAiVocab().toString(), Progress.NONE);
        assertEquals(a.vocab(), d.vocab());
    }

    @Test
    void throughFlinkFileSystem() {
        assertTrue(ModelLocation.flinkAvailable());
        TestData.assertBitExact(orig, ModelLocation.openThroughFlink(nat.toUri().toString(), null).weights());
        NativeModel h = ModelLocation.openThroughFlink(hf.toUri().toString(), null);
        TestData.assertBitExact(orig, h.weights());
        assertNotNull(h.vocab());
        NativeModel s = ModelLocation.openThroughFlink(st.toUri().toString(), TestData.openAiVocab().toUri().toString());
        assertNotNull(s.vocab());
    }

    @Test
    void aRemoteModelIsBuiltFromPendingWeightsBeforeItsTemporaryCopyGoes() {
        for (Path p : new Path[] {st, nat, hf}) {
            NativeModel kept = ModelLocation.loadThroughFlink(p.toUri().toString(), null, m -> {
                assertTrue(m.weights().names().stream().noneMatch(m.weights()::isDecoded), p + ": nothing decoded before the build asks");
                m.weights().get("visual.proj"); // what a layer build does while the copy exists
                return m;
            });
            assertTrue(kept.weights().isDecoded("visual.proj"));
            assertArrayEquals(orig.get("visual.proj").data(), kept.weights().get("visual.proj").data(), 0f);
            // the temporary copy is gone: a tensor nobody asked for while it existed can no longer be read
            ClipFormatException e = assertThrows(ClipFormatException.class, () -> kept.weights().get("ln_final.weight"));
            assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
        }
    }

    @Test
    void unusableLocationsGiveClipFormatException() {
        assertThrows(ClipFormatException.class, () -> ModelLocation.open("nosuchscheme-xyz://bucket/model.fclip"));
        assertThrows(ClipFormatException.class, () -> ModelLocation.open(dir.resolve("missing.fclip").toString()));
        assertThrows(ClipFormatException.class, () -> ModelLocation.open(" "));
        assertTrue(ModelLocation.isRemote("s3://b/k"));
        assertFalse(ModelLocation.isRemote("file:///tmp/x"));
        assertFalse(ModelLocation.isRemote("/tmp/x"));
    }
}
