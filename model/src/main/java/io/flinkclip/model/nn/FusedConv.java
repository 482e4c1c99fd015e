package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.ConvNhwc;
import io.flinkclip.kernels.WinogradConv;

/**
 * Inference-only convolution + eval BatchNorm (+ ReLU) over channels-last (NHWC) maps. The BatchNorm becomes a
 * per-output-channel scale s = γ/√(σ²+ε) and a bias β − μ·s (computed in double); the weights are packed once as
 * the GEMM's B operand with the reduction ordered (ky, kx, c). In NHWC an output pixel's im2col row is k·k
 * contiguous channel runs of the input, which {@link ConvNhwc} gathers block by block (no im2col matrix); bias and
 * ReLU are fused into the GEMM's store.
 *
 * <p>Weights: when the convolution's weights are exactly 16-bit values (OpenAI's fp16 releases) and large, they are
 * kept so, unscaled, and s is applied as the GEMM widens each micro-panel ({@link PackedMatrix#scaleColumns}); folding
 * s into them would need fp32, twice the bytes, and at batch 1 the large layers stream their weights from DRAM
 * (RN50 batch 1, layer 4's 1×1 convolutions: 5.5 → 4.8 ms per image). Up to {@link #FOLDED_MAX_VALUES} weights
 * (RN50's layers 1–3) the widening and scaling cost more than the bytes they save, and s is folded into fp32
 * weights, as it is for weights that are not 16-bit values.
 *
 * <p>3×3 stride-1 convolutions (all but the stem's first in OpenAI's ResNet) run as Winograd instead
 * ({@link WinogradConv}: 1.4–2.7× faster per RN50 layer), and when an average pool follows they can pool in the same
 * pass ({@link #forwardPool2}). Their transformed filters are fp32 and larger than the direct ones (F(2×2): 16/9,
 * F(4×4): 4×), and on small maps they also waste work (a 7×7 map is tiled as 8×8): the widest layers (RN50's
 * layer 4) run direct on maps of up to {@link #DIRECT_PIXELS} pixels. The map a layer sees is fixed by the model's
 * image resolution, so the choice is made once, when the layer is built, and only the weights of the chosen path
 * are held (both paths compute the same convolution on any map). {@code -Dclip.winograd=false} keeps every 3×3
 * convolution direct, for comparisons.
 */
final class FusedConv {
    final String name;
    final int in, out, k, stride, pad;
    final boolean relu;
    /** Whether 3×3 stride-1 convolutions use {@link WinogradConv} (read once; for A/B measurements). */
    private static final boolean WINOGRAD = Boolean.parseBoolean(System.getProperty("clip.winograd", "true"));
    /**
     * Winograd output tile: F(4×4, 3×3) does 2.25 instead of 4 multiplications per output but its filters are 36
     * instead of 16 floats per 3×3 pair (4× the direct size), so it is used where those are small; {@code
     * -Dclip.winograd.tile=2|4} forces one for comparisons.
     */
    private static final int WINOGRAD_TILE = Integer.getInteger("clip.winograd.tile", 0);
    /** Largest in·out for F(4×4): RN50's stem and layers 1–2 (≤ 2.4 MB of transformed filters per conv). */
    private static final long F4_MAX_PAIRS = 128 * 128;
    /** Smallest in·out for which a 3×3 layer runs direct on small maps (RN50: layer 4's 3×3 convolutions). */
    private static final long DIRECT_ON_SMALL_MAPS_PAIRS = 512 * 512;
    /**
     * Output pixels per image up to which such a layer runs direct ({@code -Dclip.winograd.directPixels}): RN50's 7×7
     * maps. Decided by the map, not the batch, so an image's result does not depend on the batch it came in.
     */
    private static final int DIRECT_PIXELS = Integer.getInteger("clip.winograd.directPixels", 64);
    /**
     * Most weights of a 16-bit direct convolution that are still folded into fp32 ({@code -Dclip.conv.foldedMax};
     * 1 MB in fp32). RN50 with the 1×1 convolutions of layers 1–3 folded (≤ 256·1024 weights, +9 MB) against all
     * 16-bit, medians of 4 alternating runs in a slow phase of the VM: batch 1 16.27 → 16.99 and 18.43 → 19.76
     * images/s, batch 32 27.26 → 28.92 (3 runs); folding layer 4 as well gave 19.12 at batch 1.
     */
    private static final long FOLDED_MAX_VALUES = Long.getLong("clip.conv.foldedMax", 256 * 1024);
    /** Whether the output transform may do a following 2×2 average pool ({@code -Dclip.winograd.pool=false}: never). */
    private static final boolean POOL_IN_OUTPUT = Boolean.parseBoolean(System.getProperty("clip.winograd.pool", "true"));
    /** At least one is set: the direct GEMM operand, the Winograd-transformed filters. */
    private final PackedMatrix weight;
    private final WinogradConv.Weights winograd;
    private final float[] bias;

    /**
     * Conv {@code conv} + BatchNorm {@code bn} (+ ReLU) for inputs of {@code side}×{@code side} pixels, the maps this
     * layer sees in its model: they decide between Winograd and direct weights (see the class comment).
     */
    FusedConv(Params p, String conv, String bn, int in, int out, int k, int stride, int pad, boolean relu, int side) {
        this.name = conv;
        this.in = in;
        this.out = out;
        this.k = k;
        this.stride = stride;
        this.pad = pad;
        this.relu = relu;
        if (side < 1 || outSize(side) < 1) throw new IllegalArgumentException(conv + ": no output on " + side + "×" + side + " maps");
        // The filters with their taps in (ky, kx, c) order: rows of the GEMM operand for NHWC patches.
        WeightValues raw = p.weight(conv + ".weight", out, in, k, k).tapsMajor(out, in, k);
        float[] gamma = p.get(bn + ".weight", out), beta = p.get(bn + ".bias", out);
        float[] mean = p.get(bn + ".running_mean", out), var = p.get(bn + ".running_var", out);
        int kdim = k * k * in;
        double[] scale = new double[out];
        bias = new float[out];
        for (int o = 0; o < out; o++) {
            if (var[o] < 0) throw new ClipFormatException("tensor '" + bn + ".running_var' holds a negative variance (" + var[o] + ") at index " + o);
            scale[o] = gamma[o] / Math.sqrt((double) var[o] + BatchNorm2d.EPS);
            bias[o] = (float) (beta[o] - mean[o] * scale[o]);
        }
        long outPixels = (long) outSize(side) * outSize(side);
        boolean wino = WINOGRAD && WinogradConv.supports(k, stride, pad, in, out)
                && ((long) in * out < DIRECT_ON_SMALL_MAPS_PAIRS || outPixels > DIRECT_PIXELS);
        weight = wino ? null : directWeights(p, raw, scale, out, kdim);
        int tile = WINOGRAD_TILE != 0 ? WINOGRAD_TILE : (long) in * out <= F4_MAX_PAIRS ? 4 : 2;
        winograd = wino ? WinogradConv.transform(folded(raw.floats(), scale, kdim), out, in, tile) : null;
        if (wino) p.addPackedBytes(winograd.bytes());
        for (String t : new String[] {conv + ".weight", bn + ".weight", bn + ".bias", bn + ".running_mean", bn + ".running_var"}) p.release(t);
    }

    /**
     * The direct GEMM operand: large 16-bit weights with the BatchNorm scale applied on widening, else folded fp32
     * (small layers are folded without first trying to narrow their raw weights).
     */
    private static PackedMatrix directWeights(Params p, WeightValues raw, double[] scale, int out, int kdim) {
        PackedMatrix unfolded = (long) out * kdim <= FOLDED_MAX_VALUES ? null : raw.packNK(0, out, kdim).compact();
        if (unfolded == null || unfolded.storage() == PackedMatrix.Storage.F32)
            return p.packed(PackedMatrix.fromRowsNK(folded(raw.floats(), scale, kdim), 0, out, kdim));
        float[] columnScale = new float[out];
        for (int o = 0; o < out; o++) columnScale[o] = (float) scale[o];
        return p.packed(unfolded.scaleColumns(columnScale));
    }

    /** W·s per output channel o (rows of kdim values), each product in double and rounded once. */
    private static float[] folded(float[] raw, double[] scale, int kdim) {
        float[] f = new float[raw.length];
        for (int i = 0; i < raw.length; i++) f[i] = (float) (raw[i] * scale[i / kdim]);
        return f;
    }

    /** Whether this layer runs as Winograd (else direct), on maps of any size. */
    private boolean usesWinograd() { return winograd != null; }

    int outSize(int size) { return (size + 2 * pad - k) / stride + 1; }

    /** Whether {@link #forwardPool2} applies: a Winograd layer on an even h×w map. */
    boolean poolsInForward(int h, int w) { return POOL_IN_OUTPUT && usesWinograd() && h % 2 == 0 && w % 2 == 0; }

    /**
     * x [n, h, w, in] → y [n, h/2, w/2, out] = AvgPool2d(2)(this layer's output), the pooling done in the Winograd
     * output transform; only where {@link #poolsInForward}.
     */
    void forwardPool2(float[] x, int n, int h, int w, float[] y) {
        long t0 = LayerTimes.start();
        WinogradConv.conv3x3Pool2(x, n, h, w, winograd, bias, y, relu ? Epilogue.RELU : Epilogue.NONE);
        LayerTimes.stop(name, t0);
    }

    /**
     * x [n, h, w, in] → y [n, oh, ow, out] by direct or Winograd convolution (no im2col matrix); with
     * {@code accumulate} the result (before ReLU) adds to y.
     */
    void forward(float[] x, int n, int h, int w, float[] y, boolean accumulate) {
        Epilogue act = relu ? Epilogue.RELU : Epilogue.NONE;
        long t0 = LayerTimes.start();
        if (usesWinograd()) WinogradConv.conv3x3(x, n, h, w, winograd, bias, y, accumulate, act);
        else ConvNhwc.conv2d(x, n, h, w, in, k, stride, pad, weight, bias, y, accumulate, act);
        LayerTimes.stop(name, t0);
    }
}
