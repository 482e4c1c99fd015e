package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.Parallel;

/**
 * Inference-only convolution + eval BatchNorm (+ ReLU) over channels-last (NHWC) maps. The BatchNorm is
 * folded into the weights and a bias at build (W·s, β − μ·s with s = γ/√(σ²+ε), computed in double), and the
 * weights are packed once as the GEMM's B operand with the reduction ordered (ky, kx, c). In NHWC a 1×1
 * convolution is then a plain GEMM over all pixels of the batch, and a k×k one a GEMM over im2col rows that
 * are k·k contiguous channel runs of the input; bias and ReLU are fused into the GEMM's store.
 */
final class FusedConv {
    /** im2col rows are built and multiplied in slices of about this many floats (bounded scratch). */
    private static final int COLS_FLOATS = 1 << 21;
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

    /** x [n, h, w, in] → y [n, oh, ow, out]; with {@code accumulate} the result (before ReLU) adds to y. */
    void forward(float[] x, int n, int h, int w, float[] y, boolean accumulate, Arena arena) {
        int oh = outSize(h), ow = outSize(w), rows = n * oh * ow;
        Epilogue act = relu ? Epilogue.RELU : Epilogue.NONE;
        if (k == 1 && stride == 1 && pad == 0) {
            Gemm.packed(x, 0, weight, bias, y, 0, rows, accumulate, act);
            return;
        }
        int kdim = k * k * in, slice = Math.min(rows, Math.max(48, COLS_FLOATS / kdim));
        float[] cols = arena.takeDirty(slice * kdim);
        for (int r0 = 0; r0 < rows; r0 += slice) {
            int m = Math.min(slice, rows - r0), base = r0;
            Parallel.forEach(m, 8, r -> im2colRow(x, h, w, oh, ow, base + r, cols, r * kdim));
            Gemm.packed(cols, 0, weight, bias, y, r0 * out, m, accumulate, act);
        }
        arena.release(cols);
    }

    /** cols[o + (i·k + j)·in + c] = x[b, oy·s + i − pad, ox·s + j − pad, c], zero in the padding. */
    private void im2colRow(float[] x, int h, int w, int oh, int ow, int row, float[] cols, int o) {
        int b = row / (oh * ow), pix = row % (oh * ow), oy = pix / ow, ox = pix % ow;
        for (int i = 0; i < k; i++) {
            int iy = oy * stride + i - pad;
            for (int j = 0; j < k; j++, o += in) {
                int ix = ox * stride + j - pad;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) System.arraycopy(x, ((b * h + iy) * w + ix) * in, cols, o, in);
                else java.util.Arrays.fill(cols, o, o + in, 0f);
            }
        }
    }
}
