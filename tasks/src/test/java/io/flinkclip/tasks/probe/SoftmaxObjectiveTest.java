package io.flinkclip.tasks.probe;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SoftmaxObjectiveTest {
    @Test
    void gradientMatchesCentralFiniteDifferences() {
        ProbeFixtures d = ProbeFixtures.blobs(7, 3, 5, 0.8, 1);
        SoftmaxObjective f = new SoftmaxObjective(new FeatureMatrix(d.x, d.y, 3), 2.5);
        double[] theta = new double[f.dimension()];
        Random r = new Random(2);
        for (int i = 0; i < theta.length; i++) theta[i] = r.nextGaussian();
        double[] g = new double[theta.length], scratch = new double[theta.length];
        f.valueAndGradient(theta, g);
        for (int i = 0; i < theta.length; i++) {
            double h = 1e-5, old = theta[i];
            theta[i] = old + h;
            double fp = f.valueAndGradient(theta, scratch);
            theta[i] = old - h;
            double fm = f.valueAndGradient(theta, scratch);
            theta[i] = old;
            double fd = (fp - fm) / (2 * h);
            assertEquals(fd, g[i], 1e-6 * Math.max(1, Math.abs(fd)), "parameter " + i);
        }
    }

    @Test
    void valueMatchesTheDefinitionByHand() {
        // one sample x = (1, 0) of class 0, W = [[1, 0], [0, 0]], b = (0, 1): z = (1, 1) → CE = log 2
        FeatureMatrix m = new FeatureMatrix(new float[][] {{3, 0}}, new int[] {0}, 2);
        SoftmaxObjective f = new SoftmaxObjective(m, 4);
        double[] g = new double[6];
        double v = f.valueAndGradient(new double[] {1, 0, 0, 0, 0, 1}, g);
        assertEquals(4 * Math.log(2) + 0.5, v, 1e-12); // bias not in the penalty
        assertEquals(4 * (0.5 - 1) * 1 + 1, g[0], 1e-12);
        assertEquals(4 * 0.5, g[5], 1e-12);
    }
}
