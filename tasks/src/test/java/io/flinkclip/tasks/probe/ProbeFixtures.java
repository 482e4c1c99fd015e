package io.flinkclip.tasks.probe;

import java.util.Random;

/** Synthetic labelled features: Gaussian blobs around random class centres. */
final class ProbeFixtures {
    final float[][] x;
    final int[] y;

    private ProbeFixtures(float[][] x, int[] y) { this.x = x; this.y = y; }

    /** {@code spread} small → separable; comparable to 1 → overlapping classes. */
    static ProbeFixtures blobs(int perClass, int classes, int dim, double spread, long seed) {
        Random r = new Random(seed);
        double[][] centres = new double[classes][dim];
        for (double[] c : centres) for (int j = 0; j < dim; j++) c[j] = r.nextGaussian();
        float[][] x = new float[perClass * classes][dim];
        int[] y = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = i % classes;
            for (int j = 0; j < dim; j++) x[i][j] = (float) (centres[y[i]][j] + spread * r.nextGaussian());
        }
        return new ProbeFixtures(x, y);
    }
}
