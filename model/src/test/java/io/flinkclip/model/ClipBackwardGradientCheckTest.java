package io.flinkclip.model;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.nn.ClipBackward;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of code paths the reference models do not reach: a ResNet stage with a second,
 * stride-1 Bottleneck (identity shortcut, no downsample). The model shares the state dict's arrays, so
 * perturbing them in place perturbs the model.
 */
class ClipBackwardGradientCheckTest {

    private static StateDict withExtraBlock(StateDict base, long seed) {
        StateDict sd = new StateDict();
        for (Tensor t : base.tensors()) sd.put(t.isFloat() ? Tensor.of(t.name(), t.shape(), t.data().clone()) : t);
        Random rnd = new Random(seed);
        String p = "visual.layer1.1.";
        int planes = 16, in = 64;
        put(sd, p + "conv1.weight", rnd, 0.15, 0, planes, in, 1, 1);
        put(sd, p + "conv2.weight", rnd, 0.1, 0, planes, planes, 3, 3);
        put(sd, p + "conv3.weight", rnd, 0.2, 0, in, planes, 1, 1);
        for (String bn : new String[] {"bn1", "bn2", "bn3"}) {
            int c = bn.equals("bn3") ? in : planes;
            put(sd, p + bn + ".weight", rnd, 0.3, 1, c);
            put(sd, p + bn + ".bias", rnd, 0.1, 0, c);
            put(sd, p + bn + ".running_mean", rnd, 0.1, 0, c);
            put(sd, p + bn + ".running_var", rnd, 0.1, 1, c);
        }
        return sd;
    }

    private static void put(StateDict sd, String name, Random rnd, double std, double mean, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + std * rnd.nextGaussian());
        sd.put(Tensor.of(name, shape, v));
    }

    @Test
    void directionalDerivativesMatchGradientsThroughAnIdentityShortcut() {
        ReferenceCase ref = ReferenceCase.load("tiny-rn-perturbed");
        StateDict sd = withExtraBlock(ref.weights, 7);
        ClipConfig cfg = ClipConfig.infer(sd);
        assertEquals(2, cfg.visionLayers()[0]);
        cfg = cfg.withHeads(cfg.visionHeads(), ref.config.textHeads());
        ClipModel model = ClipModel.fromStateDict(sd, cfg);
        int n = 4;
        float[] pixels = ref.pixels(0, n);
        int[][] tokens = ref.tokens(0, n);
        ClipBackward.Result base = model.contrastiveGradients(pixels, n, tokens);
        String[] params = {"visual.layer1.1.conv2.weight", "visual.layer1.1.bn3.bias", "visual.layer1.1.bn1.weight",
                "visual.layer1.0.conv1.weight", "visual.bn2.weight", "visual.conv1.weight", "visual.attnpool.q_proj.weight"};
        assertDirectionalDerivatives("", model, sd, pixels, n, tokens, base, params);
    }

    /**
     * For each parameter: the loss moved along its gradient direction, by central differences, equals |g|. The step
     * moves the loss by ~3e-5: small enough to cross few ReLU kinks, large enough to stay ~100× above float32 noise.
     */
    private static void assertDirectionalDerivatives(String label, ClipModel model, StateDict sd, float[] pixels, int n,
                                                     int[][] tokens, ClipBackward.Result base, String[] params) {
        for (String name : params) {
            float[] w = sd.get(name).data(), g = base.gradients().get(name);
            double norm = 0;
            for (float v : g) norm += (double) v * v;
            norm = Math.sqrt(norm);
            assertTrue(norm > 0, name + ": zero gradient");
            double eps = 3e-5 / norm;
            float[] orig = w.clone();
            double[] loss = new double[2];
            for (int side = 0; side < 2; side++) {
                double sign = side == 0 ? 1 : -1;
                for (int i = 0; i < w.length; i++) w[i] = (float) (orig[i] + sign * eps * g[i] / norm);
                loss[side] = model.contrastiveGradients(pixels, n, tokens).loss();
            }
            System.arraycopy(orig, 0, w, 0, w.length);
            double numeric = (loss[0] - loss[1]) / (2 * eps);
            double rel = Math.abs(numeric - norm) / norm;
            System.out.printf("%s%s: |g| %.4g, finite difference %.4g, rel %.1e%n", label, name, norm, numeric, rel);
            assertTrue(rel < 0.03, name + ": directional derivative " + numeric + " vs |g| " + norm);
        }
    }

    @Test
    void trainModeBatchNormGradientsMatchFiniteDifferencesAndOnlyKeepingPassesUpdateRunningStatistics() {
        ReferenceCase ref = ReferenceCase.load("tiny-rn-perturbed");
        StateDict sd = withExtraBlock(ref.weights, 11);
        ClipConfig cfg = ClipConfig.infer(sd);
        cfg = cfg.withHeads(cfg.visionHeads(), ref.config.textHeads());
        ClipModel model = ClipModel.fromStateDict(sd, cfg);
        int n = 4;
        float[] pixels = ref.pixels(0, n);
        int[][] tokens = ref.tokens(0, n);
        float[] runMean = sd.get("visual.bn1.running_mean").data(), runVar = sd.get("visual.layer1.1.bn2.running_var").data();
        float[] mean0 = runMean.clone(), var0 = runVar.clone();
        float[] evalEmbedding = model.encodeImages(pixels, n)[0];

        model.setBatchNormTraining(true);
        float[] trainEmbedding = model.encodeImages(pixels, n)[0];
        // Batch statistics change the features; a pass that keeps nothing leaves the running statistics alone.
        assertTrue(!java.util.Arrays.equals(evalEmbedding, trainEmbedding), "train mode must normalise with batch statistics");
        assertTrue(java.util.Arrays.equals(mean0, runMean) && java.util.Arrays.equals(var0, runVar), "an embedding-only pass updated running statistics");

        ClipBackward.Result base = model.contrastiveGradients(pixels, n, tokens);
        assertTrue(!java.util.Arrays.equals(mean0, runMean), "a training pass must update visual.bn1.running_mean");
        assertTrue(!java.util.Arrays.equals(var0, runVar), "a training pass must update layer1.1.bn2.running_var");
        // Momentum 0.1 towards the batch statistics, so one step moves them by a tenth of the way at most.
        float[] mean1 = runMean.clone();
        model.contrastiveGradients(pixels, n, tokens);
        for (int i = 0; i < runMean.length; i++) {
            // Same batch twice: m2 − m1 = 0.9·(m1 − m0) exactly in real arithmetic.
            assertEquals(0.9 * (mean1[i] - mean0[i]), runMean[i] - mean1[i], 1e-5, "running mean update " + i);
        }

        // Gradients through the batch statistics (running statistics do not enter a train-mode forward).
        String[] params = {"visual.layer1.1.conv2.weight", "visual.layer1.1.bn1.weight", "visual.bn2.bias", "visual.conv1.weight",
                "visual.layer1.0.downsample.1.weight"};
        assertDirectionalDerivatives("train-mode ", model, sd, pixels, n, tokens, base, params);
        model.setBatchNormTraining(false);
        assertTrue(!java.util.Arrays.equals(evalEmbedding, model.encodeImages(pixels, n)[0]), "eval mode must use the updated running statistics");
    }
}
