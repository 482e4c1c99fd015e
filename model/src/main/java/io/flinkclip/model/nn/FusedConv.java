package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.ConvNhwc;

/**
 * Inference-only convolution + eval BatchNorm (+ ReLU) over channels-last (NHWC) maps. The BatchNorm is
 * folded into the weights and a bias at build (W·s, β − μ·s with s = γ/√(σ²+ε), computed in double), and the
 * weights are packed once as the GEMM's B operand with the reduction ordered (ky, kx, c). In NHWC an output
 * pixel's im2col row is k·k contiguous channel runs of the input, which {@link ConvNhwc} gathers block by block
 * (no im2col matrix); bias and ReLU are fused into the GEMM's store.
 */
final class FusedConv {
    final String name;
    final int in, out, k, stride, pad;
    final boolean relu;
    private final PackedMatrix weight;
    private final float[] bias;

    FusedConv(Params p, String conv, String bn, int in, int out, int k, int stride, int pad, boolean relu) {
        this.name = conv;
        this.in = in;
        this.out = out;
        this.k = k;
        this.stride = stride;
        this.pad = pad;
        this.relu = relu;
        float[] w = p.get(conv + ".weight", out, in, k, k);
        float[] gamma = p.get(bn + ".weight", out), beta = p.get(bn + ".bias", out);
        float[] mean = p.get(bn + ".running_mean", out), var = p.get(bn + ".running_var", out);
        int kdim = k * k * in;
        float[] folded = new float[out * kdim];
        bias = new float[out];
        for (int o = 0; o < out; o++) {
            if (var[o] < 0) throw new ClipFormatException("tensor '" + bn + ".running_var' holds a negative variance (" + var[o] + ") at index " + o);
            double s = gamma[o] / Math.sqrt((double) var[o] + BatchNorm2d.EPS);
            bias[o] = (float) (beta[o] - mean[o] * s);
            for (int c = 0; c < in; c++) {
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) folded[o * kdim + (i * k + j) * in + c] = (float) (w[((o * in + c) * k + i) * k + j] * s);
                }
            }
        }
        weight = PackedMatrix.fromRowsNK(folded, 0, out, kdim);
        for (String t : new String[] {conv + ".weight", bn + ".weight", bn + ".bias", bn + ".running_mean", bn + ".running_var"}) p.release(t);
    }

    int outSize(int size) { return (size + 2 * pad - k) / stride + 1; }

    /**
     * x [n, h, w, in] → y [n, oh, ow, out] by direct convolution (no im2col matrix); with {@code accumulate} the
     * result (before ReLU) adds to y.
     */
    void forward(float[] x, int n, int h, int w, float[] y, boolean accumulate) {
        ConvNhwc.conv2d(x, n, h, w, in, k, stride, pad, weight, bias, y, accumulate, relu ? Epilogue.RELU : Epilogue.NONE);
    }
}
