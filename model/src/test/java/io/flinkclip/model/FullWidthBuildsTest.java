package io.flinkclip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The inference build ({@link ClipModel#forInference}: packed weights; for ResNets NHWC direct convolutions with
 * per-block packed slices and folded BatchNorm) against the training build ({@link ClipModel#fromStateDict}: NCHW,
 * im2col GEMMs, BatchNorm as its own op) at the released models' real widths and depth. The tiny
 * reference models never make GEMM blocks wide or K sliced; a partial-sum stride bug of the third session
 * only showed at these widths (relative difference 6e-2 instead of 1e-7 on RN50-size layers). A 64-pixel input
 * and 3 images keep it to a few GFLOP: the stem runs at 32×32, layer 1 has 768 rows of 64–256 channels.
 */
class FullWidthBuildsTest {
    @Test
    void inferenceAndTrainingBuildsAgreeAtRn50Widths() {
        ClipConfig rn50 = ClipArchitectures.get("RN50");
        // RN50's visual tower (widths, [3, 4, 6, 3] blocks, 32 attention-pool heads) at 64 px; a one-layer text tower.
        ClipConfig cfg = new ClipConfig(rn50.embedDim(), 64, rn50.visionLayers(), rn50.visionWidth(), 0,
                rn50.visionHeads(), 77, rn50.vocabSize(), 64, 1, 1);
        StateDict sd = ClipInit.initialize(cfg, 7);
        // OpenAI's init zeroes each block's last BatchNorm scale (residual branches start as identity), which would
        // hide conv3 entirely; give every BatchNorm random statistics and affine parameters instead.
        SplittableRandom rnd = new SplittableRandom(8);
        for (Tensor t : sd.tensors()) {
            String n = t.name();
            if (!n.startsWith("visual.") || !n.matches(".*\\.bn\\d\\..*|.*downsample\\.1\\..*")) continue;
            float[] v = t.data();
            if (v == null) continue; // num_batches_tracked (I64)
            for (int i = 0; i < v.length; i++) {
                v[i] = n.endsWith("running_var") ? (float) (0.5 + rnd.nextDouble())
                        : n.endsWith("weight") ? (float) (0.5 + 0.5 * rnd.nextDouble()) : (float) (0.1 * rnd.nextGaussian());
            }
        }
        StateDict copy = new StateDict();
        for (Tensor t : sd.tensors()) copy.put(t);
        ClipModel training = ClipModel.fromStateDict(sd, cfg), inference = ClipModel.forInference(copy, cfg);

        assertSameImageEmbeddings(training, inference, cfg.imageResolution(), 3, rnd);
    }

    /**
     * ViT-B/32's visual tower at 64 px (5 tokens) on 20 images: 100-row GEMMs at widths 768/3072 with sliced K,
     * i.e. the few-row path that streams the next weight micro-panel inside the current one's tiles.
     */
    @Test
    void inferenceAndTrainingBuildsAgreeAtVitB32Widths() {
        ClipConfig b32 = ClipArchitectures.get("ViT-B/32");
        ClipConfig cfg = new ClipConfig(b32.embedDim(), 64, b32.visionLayers(), b32.visionWidth(), b32.visionPatchSize(),
                b32.visionHeads(), 77, b32.vocabSize(), 64, 1, 1);
        StateDict sd = ClipInit.initialize(cfg, 9), copy = new StateDict();
        for (Tensor t : sd.tensors()) copy.put(t);
        assertSameImageEmbeddings(ClipModel.fromStateDict(sd, cfg), ClipModel.forInference(copy, cfg),
                cfg.imageResolution(), 20, new SplittableRandom(10));
    }

    /**
     * ViT-B/32 widths with every weight rounded to fp16, as OpenAI distributes CLIP: the inference build then holds
     * its linear layers in 16 bits ({@code PackedMatrix.compact}, widened per micro-panel in the GEMM) and must
     * still agree with the training build, which multiplies the same values in fp32 without packing.
     */
    @Test
    void inferenceBuildOnFp16WeightsHoldsThemIn16BitsAndAgrees() {
        ClipConfig b32 = ClipArchitectures.get("ViT-B/32");
        ClipConfig cfg = new ClipConfig(b32.embedDim(), 64, b32.visionLayers(), b32.visionWidth(), b32.visionPatchSize(),
                b32.visionHeads(), 77, b32.vocabSize(), 64, 1, 1);
        StateDict sd = ClipInit.initialize(cfg, 11), copy = new StateDict();
        for (Tensor t : sd.tensors()) {
            float[] v = t.data();
            if (v != null) for (int i = 0; i < v.length; i++) v[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
            copy.put(t);
        }
        ClipModel training = ClipModel.fromStateDict(sd, cfg), inference = ClipModel.forInference(copy, cfg);
        assertEquals(0, training.packedWeightBytes());
        // Every packed weight of this model is a linear layer, the patch embedding or a projection: all fp16-exact.
        assertTrue(inference.packedWeightBytes() > 2L * 12 * 4 * 768 * 768, "packed " + inference.packedWeightBytes());
        assertEquals(inference.packedWeightBytes(), inference.packedWeightBytes16());
        assertSameImageEmbeddings(training, inference, cfg.imageResolution(), 20, new SplittableRandom(12));
    }

    private static void assertSameImageEmbeddings(ClipModel training, ClipModel inference, int r, int n, SplittableRandom rnd) {
        float[] px = new float[n * 3 * r * r];
        for (int i = 0; i < px.length; i++) px[i] = (float) rnd.nextGaussian();
        float[][] want = training.encodeImages(px, n), got = inference.encodeImages(px, n);
        double worst = 0;
        for (int b = 0; b < n; b++) {
            double num = 0, den = 0;
            for (int i = 0; i < want[b].length; i++) {
                double d = got[b][i] - want[b][i];
                num += d * d;
                den += (double) want[b][i] * want[b][i];
            }
            double rel = Math.sqrt(num / den);
            worst = Math.max(worst, rel);
            assertTrue(den > 0 && rel < 1e-5, "image " + b + ": relative L2 difference " + rel + " (|e|² = " + den + ")");
        }
        System.out.printf("inference vs training build, %d images at %d px: worst relative L2 difference %.2e%n", n, r, worst);
    }
}
