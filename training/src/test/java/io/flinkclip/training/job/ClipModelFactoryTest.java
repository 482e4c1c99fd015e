package io.flinkclip.training.job;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.NativeModelFile;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipLoader;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.TrainableClip;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.WeightDecayRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipModelFactoryTest {
    private static final String VOCAB = Path.of(System.getProperty("clip.shared.dir", "../shared"), "vocab", "bpe_simple_vocab_16e6.txt.gz").toString();
    static final String TINY = "init:vit,res=16,patch=8,width=32,layers=1,embed=16,text-width=32,text-layers=1,context=8,seed=3";

    @Test
    void parsesArchitectureSpecs() {
        ClipConfig c = new ClipModelFactory(TINY).config();
        assertEquals(16, c.imageResolution());
        assertEquals(8, c.visionPatchSize());
        assertEquals(8, c.contextLength());
        assertEquals(1, c.visionHeads());
        ClipConfig b32 = new ClipModelFactory("init:ViT-B/32,context=32").config();
        assertEquals(768, b32.visionWidth());
        assertEquals(32, b32.contextLength());
        ClipConfig rn = new ClipModelFactory("init:resnet,res=32,width=8,layers=1-1-1-1,embed=16,text-width=32,text-layers=1,context=8").config();
        assertTrue(rn.isResNet());
        assertEquals(4, rn.visionHeads());
        assertThrows(IllegalArgumentException.class, () -> new ClipModelFactory("init:vit,res=16,patch=5,width=32,layers=1,embed=16,text-width=32,text-layers=1"));
        assertThrows(IllegalArgumentException.class, () -> new ClipModelFactory("init:vit,res=16"));
        assertThrows(IllegalArgumentException.class, () -> new ClipModelFactory(TINY + ",colour=red"));
        assertThrows(IllegalArgumentException.class, () -> new ClipModelFactory("init:ViT-Q/99"));
    }

    @Test
    void initIsDeterministicAndTheNativeFileRoundTripsWithTrainingState(@TempDir Path dir) throws Exception {
        ClipModelFactory f = new ClipModelFactory(TINY, VOCAB);
        TrainableClip a = f.createModel(), b = f.createModel();
        assertArrayEquals(a.parameters().get("visual.proj").data(), b.parameters().get("visual.proj").data());
        assertTrue(a.parameters().get("visual.proj").data() != b.parameters().get("visual.proj").data(), "two models must not share arrays");

        ClipTrainer trainer = new ClipTrainer(a, new ClipTrainer.Options(4, 1.0, new CosineSchedule(1e-3, 0, 5), AdamW.Hyper.openClipVit(), WeightDecayRule.openClip()));
        SplittableRandom r = new SplittableRandom(5);
        float[] px = new float[4 * 3 * 16 * 16];
        for (int i = 0; i < px.length; i++) px[i] = (float) r.nextGaussian();
        var tok = f.createTokenizer();
        int[][] tokens = {tok.tokenize("a photo of a bag", 8), tok.tokenize("a coat", 8), tok.tokenize("trouser", 8), tok.tokenize("a dress", 8)};
        trainer.train(px, tokens);
        trainer.train(px, tokens);
        Path file = dir.resolve("m.fclip");
        f.writeModel(trainer, 123, file);

        NativeModel m = NativeModelFile.read(file);
        assertEquals(f.config(), m.config());
        assertEquals(8, m.vocab().contextLength());
        assertEquals(2, m.training().step());
        assertEquals(123L, m.training().dataPosition().get("pairs"));
        StateDict moments = m.training().moments().get("exp_avg");
        assertArrayEquals(trainer.optimizerState().get(AdamW.M + "visual.proj").data(), moments.get("visual.proj").data());
        assertArrayEquals(a.parameters().get("visual.proj").data(), m.weights().get("visual.proj").data());
        // the trained file is a complete model for inference: same embeddings as the trainer's model
        Clip clip = ClipLoader.fromNative(m, ClipLoader.Overrides.NONE);
        assertArrayEquals(a.embedTexts(new int[][]{clip.tokens("a coat")}, false)[0], clip.encoder().encodeTexts(new int[][]{clip.tokens("a coat")})[0], 1e-6f);
        assertArrayEquals(a.embedImages(px, 4, false)[1], clip.encoder().encodeImages(px, 4)[1], 1e-6f);

        // and a factory over that file continues from its weights
        TrainableClip again = new ClipModelFactory(file.toString()).createModel();
        for (Tensor t : a.parameters().tensors()) assertArrayEquals(t.data(), again.parameters().get(t.name()).data(), t.name());
    }

    @Test
    void initWithoutVocabularyFailsClearly() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ClipModelFactory(TINY).createTokenizer());
        assertTrue(e.getMessage().contains("--vocab"), e.getMessage());
    }
}
