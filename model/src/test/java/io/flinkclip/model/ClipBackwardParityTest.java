package io.flinkclip.model;

import io.flinkclip.io.Tensor;
import io.flinkclip.model.nn.ClipBackward;
import io.flinkclip.model.nn.Gradients;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.flinkclip.model.ReferenceCase.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Contrastive loss and every parameter gradient against PyTorch autograd (eval mode). */
class ClipBackwardParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void lossAndEveryGradientMatchReference(String name) {
        ReferenceCase ref = ReferenceCase.load(name);
        int n = ref.json.get("train").get("n").asInt();
        ClipBackward.Result r = ref.model().contrastiveGradients(ref.pixels(0, n), n, ref.tokens(0, n));

        double expectedLoss = ref.expected.get("train.loss").scalar();
        double lossRel = Math.abs(r.loss() - expectedLoss) / Math.abs(expectedLoss);
        assertTrue(lossRel <= 1e-5, name + ": loss " + r.loss() + " vs " + expectedLoss);
        assertClose(name + " train.logits_per_image", ref.expected.get("train.logits_per_image").data(), r.logitsPerImage(), 1e-4);

        Gradients g = r.gradients();
        String tokName = "token_embedding.weight";
        Tensor rows = ref.expected.get("grad_sparse_rows." + tokName), values = ref.expected.get("grad_sparse_values." + tokName);
        // G: the largest |gradient| of the reference over the whole model
        double bigG = 0;
        for (String key : ref.expected.names()) {
            if (key.startsWith("grad.") || key.equals("grad_sparse_values." + tokName)) {
                for (float v : ref.expected.get(key).data()) bigG = Math.max(bigG, Math.abs(v));
            }
        }
        double sumSqDiff = 0, sumSqRef = 0;
        List<String> report = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String key : ref.expected.names()) {
            if (!key.startsWith("grad.")) continue;
            String param = key.substring(5);
            Tensor want = ref.expected.get(key);
            float[] got = g.get(param);
            assertNotNull(got, name + ": no gradient for " + param);
            assertArrayEquals(want.shape(), g.shape(param), name + ": gradient shape of " + param);
            double[] stats = check(name + " grad " + param, want.data(), got, bigG);
            sumSqDiff += stats[0];
            sumSqRef += stats[1];
            report.add(param + "=" + String.format("%.1e", stats[2]));
            seen.add(param);
        }
        // token embedding: the reference lists the non-zero rows; every other row must be (numerically) zero
        int width = ref.config.textWidth();
        float[] dense = g.get(tokName);
        assertNotNull(dense, name + ": no gradient for " + tokName);
        float[] wantDense = new float[dense.length];
        for (int i = 0; i < rows.dim(0); i++) System.arraycopy(values.data(), i * width, wantDense, (int) rows.longs()[i] * width, width);
        double[] stats = check(name + " grad " + tokName, wantDense, dense, bigG);
        sumSqDiff += stats[0];
        sumSqRef += stats[1];
        report.add(tokName + "=" + String.format("%.1e", stats[2]));
        seen.add(tokName);

        Set<String> params = new HashSet<>();
        ref.json.get("parameter_names").forEach(p -> params.add(p.asText()));
        assertEquals(params, seen, name + ": the reference's parameters vs the gradients checked");
        assertEquals(params, g.names(), name + ": gradients produced");
        double relL2 = Math.sqrt(sumSqDiff / sumSqRef);
        assertTrue(relL2 <= 1e-3, name + ": relative L2 of all gradients " + relL2);
        System.out.printf("%s loss %.7f (ref %.7f, rel %.1e), grads rel L2 %.2e, G %.3g, max|Δ|/(1e-3·max|g|+1e-4·G) per tensor: %s%n",
                name, r.loss(), expectedLoss, lossRel, relL2, bigG, report);
    }

    @org.junit.jupiter.api.Test
    void splitForwardBackwardAccumulatesLikeOneStep() {
        ReferenceCase ref = ReferenceCase.load("tiny-vit");
        ClipModel model = ref.model();
        int n = 4;
        float[] pixels = ref.pixels(0, n);
        int[][] tokens = ref.tokens(0, n);
        ClipBackward.Result once = model.contrastiveGradients(pixels, n, tokens);
        // the same loss through the split API, twice into one accumulator: gradients must double
        Gradients acc = new Gradients();
        for (int rep = 0; rep < 2; rep++) {
            ClipBackward.Pass pass = model.trainingForward(pixels, n, tokens);
            io.flinkclip.model.nn.ContrastiveLoss.Result loss = io.flinkclip.model.nn.ContrastiveLoss.compute(
                    pass.imageFeatures(), pass.textFeatures(), n, ref.config.embedDim(), model.logitScale());
            assertEquals(once.loss(), loss.loss(), 1e-9 * once.loss());
            ClipBackward.backward(pass, loss.dImage(), loss.dText(), acc);
            acc.add("logit_scale", new int[0], new float[] {(float) loss.dLogitScale()});
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> ClipBackward.backward(pass, loss.dImage(), loss.dText(), acc));
        }
        for (String p : once.gradients().names()) {
            float[] a = once.gradients().get(p), b = acc.get(p);
            for (int i = 0; i < a.length; i++) assertEquals(2 * a[i], b[i], 1e-6 * (1 + Math.abs(a[i])), p + "[" + i + "]");
        }
    }

    /** Asserts max|Δ| ≤ 1e-3·max|ref| + 1e-4·G; returns {Σ Δ², Σ ref², max|Δ| / bound}. */
    private static double[] check(String what, float[] want, float[] got, double bigG) {
        assertEquals(want.length, got.length, what + ": size");
        double maxRef = 0, maxDiff = 0, sd = 0, sr = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) want[i] - got[i]);
            if (!(d <= maxDiff)) maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            maxRef = Math.max(maxRef, Math.abs(want[i]));
            sd += d * d;
            sr += (double) want[i] * want[i];
        }
        double bound = 1e-3 * maxRef + 1e-4 * bigG;
        assertTrue(maxDiff <= bound, what + ": max|Δ| " + maxDiff + " > " + bound + " (max|ref| " + maxRef + ", G " + bigG + ")");
        return new double[] {sd, sr, maxDiff / bound};
    }
}
