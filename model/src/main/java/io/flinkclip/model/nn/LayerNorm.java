package io.flinkclip.model.nn;

import io.flinkclip.kernels.Ops;

/** LayerNorm over the last dimension, eps 1e-5 (PyTorch's default, which CLIP uses). */
public final class LayerNorm {
    public static final float EPS = 1e-5f;
    public final String name;
    public final int dim;
    public final float[] weight, bias;

    LayerNorm(Params p, String name, int dim) {
        this.name = name;
        this.dim = dim;
        this.weight = p.get(name + ".weight", dim);
        this.bias = p.get(name + ".bias", dim);
    }

    void forward(float[] x, int xOff, float[] y, int yOff, int rows) {
        long t0 = LayerTimes.start();
        Ops.layerNorm(x, xOff, weight, bias, y, yOff, rows, dim, EPS);
        LayerTimes.stop(name, t0);
    }
}
