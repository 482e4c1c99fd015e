package io.flinkclip.model.nn;

import io.flinkclip.kernels.Conv;

/** A bias-free square nn.Conv2d with zero padding (every convolution of CLIP's ResNet). */
public final class Conv2d {
    public final String name;
    public final int in, out, k, stride, pad;
    public final float[] weight;

    Conv2d(Params p, String name, int in, int out, int k, int stride, int pad) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.k = k;
        this.stride = stride;
        this.pad = pad;
        this.weight = p.get(name + ".weight", out, in, k, k);
    }

    int outSize(int size) { return (size + 2 * pad - k) / stride + 1; }

    /** x [n, in, h, w] → y [n, out, outSize(h), outSize(w)]. */
    void forward(float[] x, int n, int h, int w, float[] y) {
        Conv.conv2d(x, n, in, h, w, weight, null, out, k, k, stride, pad, y);
    }
}
