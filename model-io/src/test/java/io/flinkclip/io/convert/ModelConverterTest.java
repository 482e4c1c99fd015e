package io.flinkclip.io.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.ModelNaming;
import io.flinkclip.io.Progress;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.TestData;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.io.hf.HfConfig;
import io.flinkclip.io.nativefmt.NativeModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ModelConverterTest {
    @TempDir Path dir;

    @Test
    void safetensorsNativeHfRoundTripIsBitExact() throws Exception {
        StateDict orig = SafeTensors.read(TestData.tinyVit());
        Path nat = dir.resolve("m.fclip"), hf = dir.resolve("hf"), nat2 = dir.resolve("m2.fclip"), st = dir.resolve("back.safetensors");
        NativeModel m = ModelConverter.convert(TestData.tinyVit(), TestData.openAiVocab(), nat, null, null, Progress.NONE);
        assertEquals(ModelFormat.NATIVE, ModelFormat.detect(nat));
        ModelConverter.convert(nat, null, hf, null, null, Progress.NONE);
        assertEquals(ModelFormat.HF_DIRECTORY, ModelFormat.detect(hf));
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"))
            assertTrue(Files.isRegularFile(hf.resolve(f)), f);
        assertEquals(ModelNaming.HF, ModelNaming.detect(SafeTensors.read(hf.resolve("model.safetensors"))));
        assertEquals(m.config(), HfConfig.read(hf.resolve("config.json")).clip());
        NativeModel viaHf = ModelConverter.convert(hf, null, nat2, ModelFormat.NATIVE, null, Progress.NONE);
        assertEquals(m.config(), viaHf.config());
        assertEquals(m.vocab(), viaHf.vocab());
        assertEquals(m.preprocessing(), viaHf.preprocessing());
        ModelConverter.convert(nat2, null, st, null, null, Progress.NONE);
        assertEquals(ModelFormat.SAFETENSORS, ModelFormat.detect(st));
        TestData.assertBitExact(orig, SafeTensors.read(st));
        assertEquals(orig.metadata(), SafeTensors.read(st).metadata());
    }

    @Test
    void resNetRoundTripsThroughNativeButNotHf() throws Exception {
        ClipConfig rn = new ClipConfig(32, 64, new int[] {1, 2, 1, 1}, 16, 0, 8, 16, 1000, 64, 1, 2);
        StateDict sd = ClipInit.initialize(rn, 11);
        Path st = dir.resolve("rn.safetensors"), nat = dir.resolve("rn.fclip"), back = dir.resolve("rn2.safetensors");
        SafeTensors.write(st, sd);
        ModelConverter.convert(st, null, nat, null, null, Progress.NONE);
        NativeModel m = ModelConverter.convert(nat, null, back, null, null, Progress.NONE);
        assertEquals(rn, m.config());
        TestData.assertBitExact(sd, SafeTensors.read(back));
        assertArrayEquals(Files.readAllBytes(st), Files.readAllBytes(back));
        // heads are not visible in shapes: a corrected count survives the native format
        ModelConverter.save(m.withHeads(4, 2), nat, ModelFormat.NATIVE, null, Progress.NONE);
        assertEquals(4, ModelConverter.load(nat, null, Progress.NONE).config().visionHeads());
        assertEquals(2, ModelConverter.load(nat, null, Progress.NONE).config().textHeads());
        assertThrows(IllegalArgumentException.class, () -> m.withHeads(3, 1));
        ClipFormatException e = assertThrows(ClipFormatException.class,
                () -> ModelConverter.convert(nat, null, dir.resolve("hf"), ModelFormat.HF_DIRECTORY, null, Progress.NONE));
        assertTrue(e.getMessage().contains("ResNet"), e.getMessage());
    }

    @Test
    void halfPrecisionConversionsAreStableAfterOneRounding() {
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            Path a = dir.resolve("a" + dt + ".fclip"), hf = dir.resolve("hf" + dt), b = dir.resolve("b" + dt + ".safetensors"), c = dir.resolve("c" + dt + ".fclip");
            ModelConverter.convert(TestData.tinyVit(), null, a, null, dt, Progress.NONE);
            NativeModel once = ModelConverter.load(a, null, Progress.NONE);
            if (dt == DType.F16) { // the HF leg once is enough; the machine running CI is small
                ModelConverter.convert(a, null, hf, null, dt, Progress.NONE);
                ModelConverter.convert(hf, null, b, null, dt, Progress.NONE);
            } else {
                ModelConverter.convert(a, null, b, null, dt, Progress.NONE);
            }
            NativeModel last = ModelConverter.convert(b, null, c, null, dt, Progress.NONE);
            TestData.assertBitExact(once.weights(), last.weights());
            TestData.assertBitExact(once.weights(), ModelConverter.load(c, null, Progress.NONE).weights());
            assertEquals(dt, last.weights().get("visual.proj").storedAs());
        }
    }

    @Test
    void vocabularyFilesFollowOpenAisRule() throws Exception {
        BpeVocab v = BpeVocab.readOpenAi(TestData.openAiVocab());
        assertEquals(48894, v.merges().size());
        List<String> tokens = v.tokens();
        assertEquals(49408, tokens.size());
        assertEquals("!", tokens.get(0));
        assertEquals("!</w>", tokens.get(256));
        assertEquals("<|startoftext|>", tokens.get(49406));
        assertEquals("<|endoftext|>", tokens.get(49407));
        assertEquals("Ā", tokens.get(188)); // byte 0x00, first non-printable, maps to U+0100
        assertEquals("Ġ", tokens.get(220)); // byte 0x20 (space) maps to U+0120
        Path vj = dir.resolve("vocab.json"), mt = dir.resolve("merges.txt");
        v.writeHf(vj, mt);
        assertEquals(v, BpeVocab.readHf(vj, mt, 77));
        JsonNode json = new ObjectMapper().readTree(vj.toFile());
        assertEquals(256 + 256, json.get(v.merges().get(0).replace(" ", "")).asInt());
        // a vocab.json that is not the derived layout is refused
        Files.writeString(vj, Files.readString(vj).replace("\"!\":0", "\"!\":1"));
        assertThrows(ClipFormatException.class, () -> BpeVocab.readHf(vj, mt, 77));
        assertThrows(ClipFormatException.class, () -> new BpeVocab(List.of("ab"), List.of(), 77));
    }

    @Test
    void wrongInputsGiveOneClearError() throws Exception {
        Path junk = Files.write(dir.resolve("x.bin"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertTrue(assertThrows(ClipFormatException.class, () -> ModelFormat.detect(junk)).getMessage().contains("pickles"));
        Path emptyDir = Files.createDirectories(dir.resolve("empty"));
        assertTrue(assertThrows(ClipFormatException.class, () -> ModelConverter.load(emptyDir, null, Progress.NONE)).getMessage().contains("config.json"));
        assertThrows(ClipFormatException.class, () -> ModelFormat.detect(dir.resolve("missing")));
        // vocabulary of the wrong size for the model
        StateDict small = ClipInit.initialize(new ClipConfig(32, 32, new int[] {1}, 64, 8, 1, 77, 1000, 64, 1, 1), 1);
        Path st = dir.resolve("small.safetensors");
        SafeTensors.write(st, small);
        assertTrue(assertThrows(ClipFormatException.class, () -> ModelConverter.load(st, TestData.openAiVocab(), Progress.NONE))
                .getMessage().contains("1000"));
    }

    @Test
    void brokenHfDirectoriesAreRefusedClearly() throws Exception {
        Path hf = dir.resolve("hf");
        ModelConverter.convert(TestData.tinyVit(), null, hf, ModelFormat.HF_DIRECTORY, null, Progress.NONE);
        String cfg = Files.readString(hf.resolve("config.json"));
        Files.writeString(hf.resolve("config.json"), cfg.replace("\"num_hidden_layers\" : 2", "\"num_hidden_layers\" : 3"));
        assertTrue(assertThrows(ClipFormatException.class, () -> ModelConverter.load(hf, null, Progress.NONE)).getMessage().contains("does not match"));
        Files.writeString(hf.resolve("config.json"), cfg.replace("quick_gelu", "gelu"));
        assertTrue(assertThrows(ClipFormatException.class, () -> ModelConverter.load(hf, null, Progress.NONE)).getMessage().contains("quick_gelu"));
        Files.writeString(hf.resolve("config.json"), "{not json");
        assertThrows(ClipFormatException.class, () -> ModelConverter.load(hf, null, Progress.NONE));
        Files.writeString(hf.resolve("config.json"), cfg);
        Files.move(hf.resolve("model.safetensors"), hf.resolve("pytorch_model.bin"));
        assertTrue(assertThrows(ClipFormatException.class, () -> ModelConverter.load(hf, null, Progress.NONE)).getMessage().contains("pickle"));
    }
}
