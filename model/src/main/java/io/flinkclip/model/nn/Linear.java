package io.flinkclip.model.nn;

import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.PackedMatrix;

/**
 * nn.Linear: y = x·Wᵀ + b with W [out, in] as PyTorch stores it (the {@link Gemm#nt} layout).
 *
 * <p>Two storage modes. Training-capable layers keep the state dict's array ({@link #weight}) and repack it
 * on every call, so an optimiser updating it in place is seen at once. Inference layers ({@link Params#inference})
 * pack W once into the GEMM's panel layout ({@link #packed}) and drop the unpacked array ({@link #weight} is null).
 */
public final class Linear {
    public final String name, weightName, biasName;
    public final int in, out;
    public final float[] weight, bias;
    final PackedMatrix packed;

    Linear(Params p, String name, int in, int out, boolean bias) {
        this(p, name, name + ".weight", bias ? name + ".bias" : null, in, out);
    }

    /** A linear layer whose parameters are stored under other names (e.g. MHA's in_proj_weight/in_proj_bias). */
    Linear(Params p, String name, String weightName, String biasName, int in, int out) {
        this.name = name;
        this.weightName = weightName;
        this.biasName = biasName == null ? name + ".bias" : biasName;
        this.in = in;
        this.out = out;
        if (p.inference()) {
            packed = p.packed(p.weight(weightName, out, in).packNK(0, out, in));
            weight = null;
            p.release(weightName);
        } else {
            packed = null;
            weight = p.get(weightName, out, in);
        }
        this.bias = biasName == null ? null : p.get(biasName, out);
    }

    /** y[rows, out] (=, or += with {@code accumulate}) x[rows, in]·Wᵀ + b. */
    void forward(float[] x, int xOff, float[] y, int yOff, int rows, boolean accumulate) {
        forward(x, xOff, y, yOff, rows, accumulate, Epilogue.NONE);
    }

    /** As {@link #forward(float[], int, float[], int, int, boolean)} with {@code act} fused into the store. */
    void forward(float[] x, int xOff, float[] y, int yOff, int rows, boolean accumulate, Epilogue act) {
        long t0 = LayerTimes.start();
        if (packed != null) Gemm.packed(x, xOff, packed, bias, y, yOff, rows, accumulate, act);
        else Gemm.nt(x, xOff, weight, 0, bias, y, yOff, rows, out, in, accumulate, act);
        LayerTimes.stop(name, t0);
    }

    /** The unpacked weight, for the backward pass; fails clearly on an inference-only layer. */
    float[] trainableWeight() {
        if (weight == null) throw new IllegalStateException(name + " was built for inference only (packed weights); build the model with ClipModel.fromStateDict to train");
        return weight;
    }
}
