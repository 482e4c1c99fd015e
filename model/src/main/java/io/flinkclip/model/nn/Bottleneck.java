package io.flinkclip.model.nn;

import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Ops;

/**
 * CLIP's anti-aliased ResNet Bottleneck: 1×1 → 3×3 → AvgPool(stride) → 1×1 (×4 channels), each conv
 * followed by eval BatchNorm (ReLU on the first two), and an identity or {@code downsample} branch
 * (AvgPool(stride) → 1×1 conv → BN) added before the final ReLU. All convolutions have stride 1.
 */
public final class Bottleneck {
    public static final int EXPANSION = 4;
    public final String name;
    final int inplanes, planes, stride;
    final Conv2d conv1, conv2, conv3, downConv;
    final BatchNorm2d bn1, bn2, bn3, downBn;
    /** Inference only (else null): conv+BN(+ReLU) fused, NHWC, packed. */
    final FusedConv f1, f2, f3, fDown;

    /** {@code side}: the side of the square maps the block receives (its convolutions' choice of kernels). */
    Bottleneck(Params p, String name, int inplanes, int planes, int stride, int side) {
        this.name = name;
        this.inplanes = inplanes;
        this.planes = planes;
        this.stride = stride;
        boolean down = stride > 1 || inplanes != planes * EXPANSION;
        if (p.inference()) {
            int pooled = side / stride;
            f1 = new FusedConv(p, name + ".conv1", name + ".bn1", inplanes, planes, 1, 1, 0, true, side);
            f2 = new FusedConv(p, name + ".conv2", name + ".bn2", planes, planes, 3, 1, 1, true, side);
            f3 = new FusedConv(p, name + ".conv3", name + ".bn3", planes, planes * EXPANSION, 1, 1, 0, true, pooled); // ReLU after the residual add
            fDown = down ? new FusedConv(p, name + ".downsample.0", name + ".downsample.1", inplanes, planes * EXPANSION, 1, 1, 0, false, pooled) : null;
            conv1 = conv2 = conv3 = downConv = null;
            bn1 = bn2 = bn3 = downBn = null;
            return;
        }
        f1 = f2 = f3 = fDown = null;
        conv1 = new Conv2d(p, name + ".conv1", inplanes, planes, 1, 1, 0);
        bn1 = new BatchNorm2d(p, name + ".bn1", planes);
        conv2 = new Conv2d(p, name + ".conv2", planes, planes, 3, 1, 1);
        bn2 = new BatchNorm2d(p, name + ".bn2", planes);
        conv3 = new Conv2d(p, name + ".conv3", planes, planes * EXPANSION, 1, 1, 0);
        bn3 = new BatchNorm2d(p, name + ".bn3", planes * EXPANSION);
        if (down) {
            downConv = new Conv2d(p, name + ".downsample.0", inplanes, planes * EXPANSION, 1, 1, 0);
            downBn = new BatchNorm2d(p, name + ".downsample.1", planes * EXPANSION);
        } else {
            downConv = null;
            downBn = null;
        }
    }

    /** Activations saved for the backward pass (pre-BN conv outputs and post-ReLU maps). */
    static final class Cache {
        int n, h, w;
        float[] x, c1, a1, c2, a2, pooled, c3, xPooled, dsc, out;
        /** Batch statistics of bn1, bn2, bn3 and the downsample BN in train mode; null in eval mode. */
        BatchNorm2d.BatchStats s1, s2, s3, sDown;
    }

    /**
     * x [n, inplanes, h, w] → [n, 4·planes, h/stride, w/stride]. With {@code batchStats} the BatchNorms run in train
     * mode (running statistics updated only when a cache is kept, i.e. once per training pass).
     */
    float[] forward(float[] x, int n, int h, int w, Arena arena, Cache cache, boolean batchStats) {
        boolean keep = cache != null;
        int oh = h / stride, ow = w / stride, outC = planes * EXPANSION;
        float[] a1 = arena.take(n * planes * h * w);
        conv1.forward(x, n, h, w, a1);
        float[] c1 = keep ? arena.copyOf(a1) : null;
        BatchNorm2d.BatchStats s1 = bn1.forward(a1, n, h * w, true, batchStats, keep);
        float[] a2 = arena.take(n * planes * h * w);
        conv2.forward(a1, n, h, w, a2);
        float[] c2 = keep ? arena.copyOf(a2) : null;
        BatchNorm2d.BatchStats s2 = bn2.forward(a2, n, h * w, true, batchStats, keep);
        float[] pooled = a2;
        if (stride > 1) {
            pooled = arena.take(n * planes * oh * ow);
            Conv.avgPool(a2, n, planes, h, w, stride, pooled);
        }
        float[] out = arena.take(n * outC * oh * ow);
        conv3.forward(pooled, n, oh, ow, out);
        float[] c3 = keep ? arena.copyOf(out) : null;
        BatchNorm2d.BatchStats s3 = bn3.forward(out, n, oh * ow, false, batchStats, keep), sDown = null;
        float[] identity = x, xPooled = x, dsc = null;
        if (downConv != null) {
            if (stride > 1) {
                xPooled = arena.take(n * inplanes * oh * ow);
                Conv.avgPool(x, n, inplanes, h, w, stride, xPooled);
            }
            identity = arena.take(n * outC * oh * ow);
            downConv.forward(xPooled, n, oh, ow, identity);
            dsc = keep ? arena.copyOf(identity) : null;
            sDown = downBn.forward(identity, n, oh * ow, false, batchStats, keep);
        }
        Ops.addInPlace(out, 0, identity, 0, n * outC * oh * ow);
        Ops.relu(out, 0, n * outC * oh * ow);
        if (cache != null) {
            cache.n = n; cache.h = h; cache.w = w;
            cache.x = x; cache.c1 = c1; cache.a1 = a1; cache.c2 = c2; cache.a2 = a2; cache.pooled = pooled;
            cache.c3 = c3; cache.xPooled = xPooled; cache.dsc = dsc; cache.out = out;
            cache.s1 = s1; cache.s2 = s2; cache.s3 = s3; cache.sDown = sDown;
        }
        return out;
    }

    /**
     * Inference forward on NHWC x [n, h, w, inplanes] → [n, h/stride, w/stride, 4·planes]. The identity (or the
     * downsample branch) is written to the output first and conv3 accumulates onto it with ReLU fused, so the
     * residual add costs no extra pass. Without a downsample branch x itself is overwritten and returned.
     */
    float[] forwardInference(float[] x, int n, int h, int w, Arena arena) {
        int oh = h / stride, ow = w / stride, outC = planes * EXPANSION;
        float[] a1 = arena.takeDirty(n * h * w * planes);
        f1.forward(x, n, h, w, a1, false);
        float[] pooled;
        if (stride == 2 && f2.poolsInForward(h, w)) {
            // The stride's average pool happens in conv2's output transform: no full-resolution map.
            pooled = arena.takeDirty(n * oh * ow * planes);
            f2.forwardPool2(a1, n, h, w, pooled);
        } else {
            pooled = arena.takeDirty(n * h * w * planes);
            f2.forward(a1, n, h, w, pooled, false);
            if (stride > 1) {
                float[] a2 = pooled;
                pooled = arena.takeDirty(n * oh * ow * planes);
                Nhwc.avgPool(a2, n, h, w, planes, stride, pooled);
                arena.release(a2);
            }
        }
        arena.release(a1);
        float[] out = x;
        if (fDown != null) {
            float[] xPooled = x;
            if (stride > 1) {
                xPooled = arena.takeDirty(n * oh * ow * inplanes);
                Nhwc.avgPool(x, n, h, w, inplanes, stride, xPooled);
            }
            out = arena.takeDirty(n * oh * ow * outC);
            fDown.forward(xPooled, n, oh, ow, out, false);
            if (xPooled != x) arena.release(xPooled);
        }
        f3.forward(pooled, n, oh, ow, out, true);
        arena.release(pooled);
        return out;
    }

    /** d(block output) [n, 4·planes, h/stride, w/stride] → d(block input) [n, inplanes, h, w]; accumulates gradients. */
    float[] backward(Cache c, float[] dOut, Arena arena, Gradients g) {
        int n = c.n, h = c.h, w = c.w, oh = h / stride, ow = w / stride, outC = planes * EXPANSION;
        int outSize = n * outC * oh * ow, inSize = n * inplanes * h * w, midSize = n * planes * h * w;
        float[] dSum = arena.take(outSize);
        System.arraycopy(dOut, 0, dSum, 0, outSize);
        Backprop.relu(c.out, dSum, outSize);

        float[] dx = arena.take(inSize);
        if (downConv != null) {
            float[] dDown = arena.take(outSize);
            System.arraycopy(dSum, 0, dDown, 0, outSize);
            Backprop.batchNorm(downBn, c.dsc, dDown, n, oh * ow, c.sDown, g);
            if (stride > 1) {
                float[] dxPooled = arena.take(n * inplanes * oh * ow);
                Backprop.conv2d(downConv, c.xPooled, n, oh, ow, dDown, dxPooled, g);
                Backprop.avgPool(dxPooled, n * inplanes, h, w, stride, dx);
            } else {
                Backprop.conv2d(downConv, c.xPooled, n, h, w, dDown, dx, g);
            }
        } else {
            System.arraycopy(dSum, 0, dx, 0, inSize);
        }

        Backprop.batchNorm(bn3, c.c3, dSum, n, oh * ow, c.s3, g);
        float[] dPooled = arena.take(n * planes * oh * ow);
        Backprop.conv2d(conv3, c.pooled, n, oh, ow, dSum, dPooled, g);
        float[] dA2 = dPooled;
        if (stride > 1) {
            dA2 = arena.take(midSize);
            Backprop.avgPool(dPooled, n * planes, h, w, stride, dA2);
        }
        Backprop.relu(c.a2, dA2, midSize);
        Backprop.batchNorm(bn2, c.c2, dA2, n, h * w, c.s2, g);
        float[] dA1 = arena.take(midSize);
        Backprop.conv2d(conv2, c.a1, n, h, w, dA2, dA1, g);
        Backprop.relu(c.a1, dA1, midSize);
        Backprop.batchNorm(bn1, c.c1, dA1, n, h * w, c.s1, g);
        float[] dxMain = arena.take(inSize);
        Backprop.conv2d(conv1, c.x, n, h, w, dA1, dxMain, g);
        for (int i = 0; i < inSize; i++) dx[i] += dxMain[i];
        return dx;
    }
}
