package io.flinkclip.training;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContrastiveLossTest {
    private static final Path REF = Path.of(System.getProperty("clip.shared.dir", "../shared"), "reference", "tiny-vit");

    @Test
    void matchesReferenceLossAndLogits() {
        assertTrue(Files.isDirectory(REF), "reference data missing at " + REF.toAbsolutePath());
        StateDict expected = SafeTensors.read(REF.resolve("expected.safetensors"));
        float logitScale = SafeTensors.read(REF.resolve("weights.safetensors")).get("logit_scale").scalar();
        int n = 8;   // expected.json "train": image i <-> model text i, i < 8
        float[][] img = rows(expected.get("image_embeds"), n), txt = rows(expected.get("text_embeds"), n);
        ContrastiveLoss.Result r = ContrastiveLoss.compute(img, txt, logitScale, false);
        double ref = expected.get("train.loss").scalar();
        assertEquals(ref, r.loss(), 1e-5 * Math.abs(ref), "loss");
        float[][] refLogits = rows(expected.get("train.logits_per_image"), n);
        double max = 0, diff = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            max = Math.max(max, Math.abs(refLogits[i][j]));
            diff = Math.max(diff, Math.abs(refLogits[i][j] - r.logitsPerImage()[i][j]));
        }
        assertTrue(diff <= 1e-4 * max, "logits differ by " + diff + " (max " + max + ")");
        // The loss is the only user of logit_scale, so autograd's grad.logit_scale is exactly our dLogitScale.
        double g = ContrastiveLoss.compute(img, txt, logitScale, true).dLogitScale();
        double ref64 = expected.get("grad_f64.logit_scale").scalar();
        assertEquals(ref64, g, 1e-5 * Math.abs(ref64) + 1e-7, "d loss / d logit_scale");
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random rnd = new Random(3);
        int n = 5, d = 6;
        float[][] img = gaussian(rnd, n, d), txt = gaussian(rnd, n, d);
        float s = 1.3f;
        ContrastiveLoss.Result r = ContrastiveLoss.compute(img, txt, s, true);
        float[][] ui = gaussian(rnd, n, d), ut = gaussian(rnd, n, d);
        double us = 0.7;
        double analytic = us * r.dLogitScale();
        for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) analytic += r.dImages()[i][k] * ui[i][k] + r.dTexts()[i][k] * ut[i][k];
        double eps = 1e-3;
        double numeric = (shifted(img, txt, s, ui, ut, us, eps) - shifted(img, txt, s, ui, ut, us, -eps)) / (2 * eps);
        assertEquals(numeric, analytic, 1e-3 * Math.abs(numeric), "directional derivative");
        // logit scale alone
        double ds = (ContrastiveLoss.compute(img, txt, s + 1e-3f, false).loss() - ContrastiveLoss.compute(img, txt, s - 1e-3f, false).loss())
                / (2 * (double) ((s + 1e-3f) - s));
        assertEquals(ds, r.dLogitScale(), 2e-3 * Math.abs(ds) + 1e-6);
    }

    @Test
    void scaleInvariantInEmbeddingNorm() {
        Random rnd = new Random(4);
        float[][] img = gaussian(rnd, 3, 4), txt = gaussian(rnd, 3, 4);
        ContrastiveLoss.Result r = ContrastiveLoss.compute(img, txt, 2f, true);
        // Normalisation makes the loss invariant to the norm: the gradient is orthogonal to each embedding.
        for (int i = 0; i < 3; i++) {
            double p = 0;
            for (int k = 0; k < 4; k++) p += img[i][k] * r.dImages()[i][k];
            assertEquals(0, p, 1e-6);
        }
    }

    @Test
    void rejectsBadInput() {
        float[][] a = {{1, 0}}, z = {{0, 0}};
        assertThrows(IllegalArgumentException.class, () -> ContrastiveLoss.compute(a, new float[0][], 1f, false));
        assertThrows(IllegalArgumentException.class, () -> ContrastiveLoss.compute(a, z, 1f, false));
        assertThrows(IllegalArgumentException.class, () -> ContrastiveLoss.compute(a, new float[][]{{1, 0, 0}}, 1f, false));
    }

    private static double shifted(float[][] img, float[][] txt, float s, float[][] ui, float[][] ut, double us, double eps) {
        int n = img.length, d = img[0].length;
        float[][] a = new float[n][d], b = new float[n][d];
        for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) {
            a[i][k] = (float) (img[i][k] + eps * ui[i][k]);
            b[i][k] = (float) (txt[i][k] + eps * ut[i][k]);
        }
        return ContrastiveLoss.compute(a, b, (float) (s + eps * us), false).loss();
    }

    static float[][] gaussian(Random r, int n, int d) {
        float[][] a = new float[n][d];
        for (float[] row : a) for (int k = 0; k < d; k++) row[k] = (float) r.nextGaussian();
        return a;
    }

    static float[][] rows(Tensor t, int n) {
        int d = t.dim(1);
        float[][] out = new float[n][d];
        for (int i = 0; i < n; i++) System.arraycopy(t.data(), i * d, out[i], 0, d);
        return out;
    }
}
