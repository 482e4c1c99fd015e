package io.flinkclip.tasks.probe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LogisticRegressionProbeTest {
    private static List<String> names(int k) {
        return java.util.stream.IntStream.range(0, k).mapToObj(i -> "c" + i).toList();
    }

    private static double[] params(LogisticRegressionProbe p) {
        double[] w = p.weights(), b = p.bias(), out = new double[w.length + b.length];
        System.arraycopy(w, 0, out, 0, w.length);
        System.arraycopy(b, 0, out, w.length, b.length);
        return out;
    }

    /**
     * Independent reference: plain gradient descent with the fixed step 1/L, L = C·n·(‖x‖² + 1)/2·2 + 1
     * bounding the Hessian (softmax CE Hessian ≤ ½(‖x‖²+1) per sample in each direction, ‖x‖ = 1).
     */
    private static double[] gradientDescent(FeatureMatrix data, double c, int maxIter) {
        SoftmaxObjective f = new SoftmaxObjective(data, c);
        double[] theta = new double[f.dimension()], g = new double[theta.length];
        double step = 1.0 / (c * data.rows() * 2 + 1);
        for (int it = 0; it < maxIter; it++) {
            f.valueAndGradient(theta, g);
            if (Lbfgs.maxAbs(g) < 1e-9) break;
            for (int i = 0; i < theta.length; i++) theta[i] -= step * g[i];
        }
        return theta;
    }

    private static void assertSameSolution(double[] expected, double[] actual, int classes, int dim, double tol) {
        int wl = classes * dim;
        for (int i = 0; i < wl; i++) assertEquals(expected[i], actual[i], tol, "weight " + i);
        // the bias is only defined up to a common shift (softmax invariance, unregularised): compare centred
        double me = 0, ma = 0;
        for (int k = 0; k < classes; k++) { me += expected[wl + k]; ma += actual[wl + k]; }
        for (int k = 0; k < classes; k++) assertEquals(expected[wl + k] - me / classes, actual[wl + k] - ma / classes, tol, "bias " + k);
    }

    @Test
    void symmetricTwoClassProblemHasTheAnalyticOptimum() {
        // x = (±1, 0) (after normalisation) with labels 0/1. By symmetry W = [[a, 0], [−a, 0]], b₀ = b₁, and
        // f(a) = 2C·log(1 + e^{−2a}) + a², so f'(a) = 0 ⇔ a = 2C / (1 + e^{2a}); solve that by bisection.
        double c = 3;
        float[][] x = {{5, 0}, {-2, 0}, {0.5f, 0}, {-7, 0}};
        int[] y = {0, 1, 0, 1};
        // four samples: f(a) = 4C·log(1 + e^{−2a}) + a² → a = 4C / (1 + e^{2a})
        double lo = 0, hi = 100;
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (mid - 4 * c / (1 + Math.exp(2 * mid)) > 0) hi = mid; else lo = mid;
        }
        double a = (lo + hi) / 2;
        LogisticRegressionProbe p = LogisticRegressionProbe.train(x, y, names(2), c);
        double[] w = p.weights(), b = p.bias();
        assertEquals(a, w[0], 1e-6);
        assertEquals(-a, w[2], 1e-6);
        assertEquals(0, w[1], 1e-9);
        assertEquals(0, w[3], 1e-9);
        assertEquals(b[0], b[1], 1e-6);
    }

    @Test
    void matchesAnIndependentGradientDescentOnNonSeparableData() {
        ProbeFixtures d = ProbeFixtures.blobs(20, 3, 6, 1.0, 7);
        FeatureMatrix m = new FeatureMatrix(d.x, d.y, 3);
        double c = 0.5;
        LogisticRegressionProbe p = LogisticRegressionProbe.train(m, names(3), c, new Lbfgs.Options(1000, 10, 1e-10, 0), null);
        double[] reference = gradientDescent(m, c, 200_000);
        assertSameSolution(reference, params(p), 3, 6, 1e-5);
        // and the gradient really vanishes at the probe's solution
        double[] g = new double[reference.length];
        new SoftmaxObjective(m, c).valueAndGradient(params(p), g);
        assertTrue(Lbfgs.maxAbs(g) < 1e-7, "‖∇f‖∞ = " + Lbfgs.maxAbs(g));
        // the same with finite differences of f alone (does not trust the analytic gradient)
        SoftmaxObjective f = new SoftmaxObjective(m, c);
        double[] theta = params(p), scratch = new double[theta.length];
        for (int i = 0; i < theta.length; i++) {
            double h = 1e-5, old = theta[i];
            theta[i] = old + h;
            double fp = f.valueAndGradient(theta, scratch);
            theta[i] = old - h;
            double fm = f.valueAndGradient(theta, scratch);
            theta[i] = old;
            assertEquals(0, (fp - fm) / (2 * h), 1e-6, "finite-difference gradient, parameter " + i);
        }
    }

    @Test
    void hugeCOnSeparableDataStaysFiniteWithinTheIterationBudget() {
        ProbeFixtures d = ProbeFixtures.blobs(10, 3, 4, 0.05, 13);
        LogisticRegressionProbe p = LogisticRegressionProbe.train(new FeatureMatrix(d.x, d.y, 3), names(3), 1e6,
                new Lbfgs.Options(100, 10, 1e-7, 1e-12), null);
        for (double w : p.weights()) assertTrue(Double.isFinite(w));
        assertEquals(1.0, p.accuracy(d.x, d.y));
    }

    @Test
    void matchesGradientDescentOnSeparableDataWithStrongRegularisation() {
        ProbeFixtures d = ProbeFixtures.blobs(10, 4, 5, 0.05, 11);
        FeatureMatrix m = new FeatureMatrix(d.x, d.y, 4);
        double c = 0.2;
        LogisticRegressionProbe p = LogisticRegressionProbe.train(m, names(4), c, new Lbfgs.Options(1000, 10, 1e-10, 0), null);
        assertSameSolution(gradientDescent(m, c, 200_000), params(p), 4, 5, 1e-5);
        assertEquals(1.0, p.accuracy(d.x, d.y));
    }

    @Test
    void weakRegularisationFitsSeparableDataPerfectly() {
        ProbeFixtures d = ProbeFixtures.blobs(15, 5, 8, 0.1, 3);
        LogisticRegressionProbe p = LogisticRegressionProbe.train(d.x, d.y, names(5), 1e4);
        assertEquals(1.0, p.accuracy(d.x, d.y));
        double[] prob = p.probabilities(d.x[0]);
        double s = 0;
        for (double v : prob) s += v;
        assertEquals(1, s, 1e-12);
        assertTrue(prob[d.y[0]] > 0.9);
    }

    @Test
    void predictionIsInvariantToFeatureScale() {
        ProbeFixtures d = ProbeFixtures.blobs(10, 3, 4, 0.5, 5);
        LogisticRegressionProbe p = LogisticRegressionProbe.train(d.x, d.y, names(3), 1);
        float[] f = d.x[3].clone();
        double[] before = p.logits(f);
        for (int i = 0; i < f.length; i++) f[i] *= 17;
        assertArrayEquals(before, p.logits(f), 1e-6);
    }

    @Test
    void saveAndLoadRoundTripsExactly(@TempDir Path dir) throws IOException {
        ProbeFixtures d = ProbeFixtures.blobs(10, 3, 4, 0.5, 5);
        LogisticRegressionProbe p = LogisticRegressionProbe.train(d.x, d.y, List.of("ünïcode", "b", "c"), 0.7);
        Path file = dir.resolve("probe.bin");
        p.save(file);
        LogisticRegressionProbe q = LogisticRegressionProbe.load(file);
        assertEquals(p.classNames(), q.classNames());
        assertEquals(p.c(), q.c());
        assertArrayEquals(p.weights(), q.weights());
        assertArrayEquals(p.bias(), q.bias());
        assertArrayEquals(p.predict(d.x), q.predict(d.x));
    }

    @Test
    void corruptFilesAreRejectedWithAReason(@TempDir Path dir) throws IOException {
        ProbeFixtures d = ProbeFixtures.blobs(5, 2, 3, 0.5, 5);
        Path file = dir.resolve("probe.bin");
        LogisticRegressionProbe.train(d.x, d.y, names(2), 1).save(file);
        byte[] good = Files.readAllBytes(file);

        Files.write(file, java.util.Arrays.copyOf(good, good.length - 3));
        assertTrue(assertThrows(IOException.class, () -> LogisticRegressionProbe.load(file)).getMessage().contains("truncated"));

        byte[] magic = good.clone();
        magic[0] = 'X';
        Files.write(file, magic);
        assertTrue(assertThrows(IOException.class, () -> LogisticRegressionProbe.load(file)).getMessage().contains("magic"));

        Files.write(file, good);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(16);
            raf.writeInt(1 << 30); // dim: would need gigabytes
        }
        assertTrue(assertThrows(IOException.class, () -> LogisticRegressionProbe.load(file)).getMessage().contains("bytes"));

        byte[] extra = java.util.Arrays.copyOf(good, good.length + 1);
        Files.write(file, extra);
        assertTrue(assertThrows(IOException.class, () -> LogisticRegressionProbe.load(file)).getMessage().contains("trailing"));
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> LogisticRegressionProbe.train(new float[][] {{1, 0}}, new int[] {2}, names(2), 1));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegressionProbe.train(new float[][] {{1, 0}}, new int[] {0}, names(2), -1));
        assertThrows(IllegalArgumentException.class, () -> LogisticRegressionProbe.train(new float[][] {{1, 0}, {1}}, new int[] {0, 1}, names(2), 1));
    }
}
