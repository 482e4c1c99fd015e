package io.flinkclip.model.nn;

import io.flinkclip.kernels.Gemm;

/** nn.Linear: y = x·Wᵀ + b with W [out, in] as PyTorch stores it (the {@link Gemm#nt} layout). */
public final class Linear {
    public final String name, weightName, biasName;
    public final int in, out;
    public final float[] weight, bias;

    Linear(Params p, String name, int in, int out, boolean bias) {
        this.name = name;
        this.weightName = name + ".weight";
        this.biasName = name + ".bias";
        this.in = in;
        this.out = out;
        this.weight = p.get(name + ".weight", out, in);
        this.bias = bias ? p.get(name + ".bias", out) : null;
    }

    /** A linear layer whose parameters are stored under other names (e.g. MHA's in_proj_weight/in_proj_bias). */
    Linear(String name, String weightName, String biasName, int in, int out, float[] weight, float[] bias) {
        this.name = name;
        this.weightName = weightName;
        this.biasName = biasName;
        this.in = in;
        this.out = out;
        this.weight = weight;
        this.bias = bias;
    }

    /** y[rows, out] (=, or += with {@code accumulate}) x[rows, in]·Wᵀ + b. */
    void forward(float[] x, int xOff, float[] y, int yOff, int rows, boolean accumulate) {
        Gemm.nt(x, xOff, weight, 0, bias, y, yOff, rows, out, in, accumulate);
    }
}
