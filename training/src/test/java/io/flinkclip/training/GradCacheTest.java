package io.flinkclip.training;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradCacheTest {
    static float[] pixels(Random r, int n, int res) {
        float[] p = new float[n * 3 * res * res];
        for (int i = 0; i < p.length; i++) p[i] = (float) r.nextGaussian();
        return p;
    }

    static int[][] tokens(Random r, int n, int vocab, int ctx) {
        int[][] t = new int[n][ctx];
        for (int i = 0; i < n; i++) {
            int len = 2 + r.nextInt(ctx - 1);
            for (int k = 0; k < len; k++) t[i][k] = 1 + r.nextInt(vocab - 1);
        }
        return t;
    }

    @Test
    void chunkedGradientsEqualFullBatchGradients() {
        Random r = new Random(11);
        int n = 7;
        float[] px = pixels(r, n, 4);
        int[][] tok = tokens(r, n, 40, 6);
        ToyClip full = ToyClip.small(5), chunked = ToyClip.small(5);
        GradCache.Result a = GradCache.lossAndGradients(full, px, tok, n);
        GradCache.Result b = GradCache.lossAndGradients(chunked, px, tok, 3);   // chunks 3, 3, 1
        assertEquals(a.loss(), b.loss(), 1e-12);
        double maxAll = 0;
        for (Tensor t : full.gradients().tensors()) for (float v : t.data()) maxAll = Math.max(maxAll, Math.abs(v));
        assertTrue(maxAll > 1e-3, "gradients should not be trivially zero");
        for (Tensor t : full.gradients().tensors()) {
            float[] x = t.data(), y = chunked.gradients().get(t.name()).data();
            for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6 * maxAll, t.name() + "[" + i + "]");
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesOfTheLoss() {
        Random r = new Random(12);
        int n = 5;
        float[] px = pixels(r, n, 4);
        int[][] tok = tokens(r, n, 40, 6);
        ToyClip m = ToyClip.small(6);
        GradCache.lossAndGradients(m, px, tok, 2);
        StateDict params = m.parameters();
        Random dir = new Random(13);
        double analytic = 0;
        StateDict u = new StateDict();
        for (Tensor t : params.tensors()) {
            float[] d = new float[t.data().length];
            for (int i = 0; i < d.length; i++) d[i] = (float) dir.nextGaussian();
            u.put(Tensor.of(t.name(), t.shape(), d));
            float[] g = m.gradients().get(t.name()).data();
            for (int i = 0; i < d.length; i++) analytic += g[i] * d[i];
        }
        double eps = 1e-3;
        double numeric = (lossAt(px, tok, u, eps) - lossAt(px, tok, u, -eps)) / (2 * eps);
        assertEquals(numeric, analytic, 5e-3 * Math.abs(numeric));
    }

    private static double lossAt(float[] px, int[][] tok, StateDict u, double eps) {
        ToyClip m = ToyClip.small(6);
        for (Tensor t : m.parameters().tensors()) {
            float[] p = t.data(), d = u.get(t.name()).data();
            for (int i = 0; i < p.length; i++) p[i] = (float) (p[i] + eps * d[i]);
        }
        return GradCache.lossAndGradients(m, px, tok, 100).loss();
    }

    @Test
    void rejectsBadBatches() {
        ToyClip m = ToyClip.small(1);
        Random r = new Random(1);
        assertThrows(IllegalArgumentException.class, () -> GradCache.lossAndGradients(m, pixels(r, 1, 4), tokens(r, 1, 40, 6), 1));
        assertThrows(IllegalArgumentException.class, () -> GradCache.lossAndGradients(m, pixels(r, 3, 5), tokens(r, 3, 40, 6), 1));
        assertThrows(IllegalArgumentException.class, () -> GradCache.lossAndGradients(m, pixels(r, 3, 4), tokens(r, 3, 40, 6), 0));
    }
}
