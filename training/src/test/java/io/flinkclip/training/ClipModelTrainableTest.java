package io.flinkclip.training;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.ClipModel;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.WeightDecayRule;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The product ClipModel as a TrainableClip, against PyTorch autograd on the shared reference batches. */
class ClipModelTrainableTest {
    private static final Path REF = Path.of(System.getProperty("clip.shared.dir", "../shared"), "reference");

    private static StateDict weights(String config) {
        return SafeTensors.read(REF.resolve(config).resolve("weights.safetensors"));
    }

    private static ClipModelTrainable model(String config, int visionHeads, int textHeads) {
        StateDict w = weights(config);
        ClipModelTrainable m = new ClipModelTrainable(w, ClipConfig.infer(w).withHeads(visionHeads, textHeads));
        m.setBatchNormTraining(false);   // the references record eval-mode gradients
        return m;
    }

    private static void parity(String config, int visionHeads, int textHeads) {
        StateDict expected = SafeTensors.read(REF.resolve(config).resolve("expected.safetensors"));
        for (int chunk : new int[]{8, 3}) {   // one plain pass, then GradCache chunks of 3, 3, 2
            ReferenceParity.Report r = ReferenceParity.check(model(config, visionHeads, textHeads), expected, 8, chunk);
            System.err.printf("%s chunk %d: loss %.7f (ref %.7f), gradient relative L2 %.2e%n", config, chunk, r.loss(), r.referenceLoss(), r.relativeL2());
            assertTrue(r.ok(), config + " chunk " + chunk + ": " + r.failures());
        }
    }

    @Test
    void vitGradientsMatchAutograd() { parity("tiny-vit", 1, 2); }

    /** Eval-mode BatchNorm, conv, attention pool: the ResNet tower through ClipBackward. */
    @Test
    void resNetGradientsMatchAutograd() { parity("tiny-rn-perturbed", 8, 2); }

    /** Train-mode BatchNorm (the default for training): GradCache's embedding pass must equal its keeping pass. */
    @Test
    void trainModeEmbeddingPassEqualsKeepingPassAndUpdatesRunningStatisticsOnce() {
        StateDict w = weights("tiny-rn-perturbed");
        ClipModelTrainable m = new ClipModelTrainable(w, ClipConfig.infer(w).withHeads(8, 2));
        StateDict expected = SafeTensors.read(REF.resolve("tiny-rn-perturbed").resolve("expected.safetensors"));
        int n = 4, r = m.config().imageResolution();
        float[] px = Arrays.copyOf(expected.get("pixels").data(), n * 3 * r * r);
        float[] runMean = w.get("visual.layer1.0.bn3.running_mean").data(), before = runMean.clone();
        float[][] embedded = m.embedImages(px, n, false);
        assertArrayEquals(before, runMean, 0f, "an embedding-only pass must not update running statistics");
        float[][] kept = m.embedImages(px, n, true);
        for (int i = 0; i < n; i++) assertArrayEquals(embedded[i], kept[i], 0f, "image " + i);
        assertTrue(!Arrays.equals(before, runMean), "the keeping pass updates running statistics");
        float[] evalFeatures = m.model().encodeImages(px, n)[0];
        assertTrue(!Arrays.equals(evalFeatures, kept[0]), "model() stays in eval mode (running statistics)");
        m.backwardImages(new float[n][m.config().embedDim()]);
    }

    @Test
    void parametersAreTheModelsLiveArraysAndAdamWUpdatesTakeEffect() {
        StateDict w = weights("tiny-vit");
        ClipModelTrainable m = new ClipModelTrainable(w, ClipConfig.infer(w).withHeads(1, 2));
        assertSame(w.get("visual.proj").data(), m.parameters().get("visual.proj").data());
        assertEquals(m.parameters().names().stream().toList(), m.gradients().names().stream().toList());
        StateDict expected = SafeTensors.read(REF.resolve("tiny-vit").resolve("expected.safetensors"));
        int n = 4, per = 3 * 32 * 32;
        float[] px = Arrays.copyOf(expected.get("pixels").data(), n * per);
        int[][] tok = new int[n][];
        Tensor t = expected.get("tokens");
        int ctx = t.dim(1);
        for (int i = 0; i < n; i++) {
            tok[i] = new int[ctx];
            for (int k = 0; k < ctx; k++) tok[i][k] = t.longs() != null ? (int) t.longs()[i * ctx + k] : (int) t.data()[i * ctx + k];
        }
        float[][] before = m.embedImages(px, n, false);
        // no-grad and keeping passes agree (GradCache re-embeds). Not asserted bitwise: the kernels' vector exp gives
        // JIT-tier-dependent last bits (SVML stub once C2-compiled, Math.exp before)
        assertArrayEquals(before[2], m.embedImages(px, n, true)[2], 1e-6f);
        assertArrayEquals(m.embedTexts(tok, false)[1], m.embedTexts(tok, true)[1], 1e-6f);

        ClipTrainer trainer = new ClipTrainer(m, new ClipTrainer.Options(2, 1.0, new CosineSchedule(1e-3, 0, 10),
                AdamW.Hyper.openClipVit(), WeightDecayRule.openClip()));
        trainer.train(px, tok);
        float[][] after = m.embedImages(px, n, false);
        assertFalse(Arrays.equals(before[0], after[0]), "the optimizer step did not reach the model");
        // a model freshly built from copies of the updated arrays computes exactly the same embeddings
        StateDict copy = new StateDict();
        for (Tensor p : w.tensors()) copy.put(p.isFloat() ? Tensor.of(p.name(), p.shape(), p.data().clone()) : p);
        ClipModel fresh = ClipModel.fromStateDict(copy, m.config()).withMaxBatch(Integer.MAX_VALUE);
        assertArrayEquals(fresh.encodeImages(px, n)[0], after[0], 1e-6f);
        assertArrayEquals(fresh.encodeTexts(tok)[3], m.embedTexts(tok, false)[3], 1e-6f);
    }
}
