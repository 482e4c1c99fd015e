package io.flinkclip.model.device;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/**
 * OpenAI's ModifiedResNet on a device: 3-conv stem (BN + ReLU each) and AvgPool2d(2), four stages of
 * anti-aliased Bottlenecks, attention pooling. Feature maps live in seven equal arena slots (each as large as the
 * largest map) that the blocks rotate through; one scratch region serves every convolution's im2col and GEMM.
 * A sizing pass walks the same code without launching anything, so the layout always matches the forward pass.
 */
final class DeviceResNet implements DeviceImageTower {
    private static final float EPS = 1e-5f;
    private final Device d;
    private final int width, resolution, embedDim;
    private final Conv stem1, stem2, stem3;
    private final Bn bn1, bn2, bn3;
    private final Block[] blocks;
    private final DeviceAttentionPool pool;

    record Conv(DeviceBuffer weight, int in, int out, int k, int stride, int pad) {
        int outSize(int size) { return (size + 2 * pad - k) / stride + 1; }
    }

    record Bn(DeviceBuffer mean, DeviceBuffer var, DeviceBuffer gamma, DeviceBuffer beta) {}

    private record Block(Conv c1, Bn b1, Conv c2, Bn b2, Conv c3, Bn b3, Conv down, Bn downBn, int stride) {}

    DeviceResNet(Device d, DeviceWeights w, ClipConfig cfg) {
        this.d = d;
        width = cfg.visionWidth();
        resolution = cfg.imageResolution();
        embedDim = cfg.embedDim();
        int half = width / 2;
        stem1 = conv(w, "visual.conv1", 3, half, 3, 2, 1);
        bn1 = bn(w, "visual.bn1");
        stem2 = conv(w, "visual.conv2", half, half, 3, 1, 1);
        bn2 = bn(w, "visual.bn2");
        stem3 = conv(w, "visual.conv3", half, width, 3, 1, 1);
        bn3 = bn(w, "visual.bn3");
        int[] layers = cfg.visionLayers();
        int count = 0;
        for (int l : layers) count += l;
        blocks = new Block[count];
        int inplanes = width, i = 0;
        for (int l = 0; l < 4; l++) {
            int planes = width << l;
            for (int b = 0; b < layers[l]; b++) {
                String p = "visual.layer" + (l + 1) + "." + b;
                int stride = b == 0 && l > 0 ? 2 : 1;
                boolean down = stride > 1 || inplanes != planes * 4;
                blocks[i++] = new Block(conv(w, p + ".conv1", inplanes, planes, 1, 1, 0), bn(w, p + ".bn1"),
                        conv(w, p + ".conv2", planes, planes, 3, 1, 1), bn(w, p + ".bn2"),
                        conv(w, p + ".conv3", planes, planes * 4, 1, 1, 0), bn(w, p + ".bn3"),
                        down ? conv(w, p + ".downsample.0", inplanes, planes * 4, 1, 1, 0) : null,
                        down ? bn(w, p + ".downsample.1") : null, stride);
                inplanes = planes * 4;
            }
        }
        pool = new DeviceAttentionPool(d, w, "visual.attnpool", resolution / 32, width * 32, cfg.visionHeads(), embedDim);
    }

    private static Conv conv(DeviceWeights w, String name, int in, int out, int k, int stride, int pad) {
        return new Conv(w.get(name + ".weight"), in, out, k, stride, pad);
    }

    private static Bn bn(DeviceWeights w, String name) {
        return new Bn(w.get(name + ".running_mean"), w.get(name + ".running_var"), w.get(name + ".weight"), w.get(name + ".bias"));
    }

    /** Arena regions: images, seven map slots, conv scratch, attention pool. */
    private record Plan(int pixels, int[] slots, int scratch, DeviceAttentionPool.Plan pool, long size) {}

    private Plan plan(int n) {
        Pass sizing = new Pass(null, n, null);
        sizing.run();
        Layout l = new Layout();
        int pixels = l.take(3L * n * resolution * resolution);
        int[] slots = new int[7];
        for (int s = 0; s < slots.length; s++) slots[s] = l.take(sizing.maxMap);
        int scratch = l.take(sizing.maxScratch);
        DeviceAttentionPool.Plan p = pool.plan(l, n);
        return new Plan(pixels, slots, scratch, p, l.size());
    }

    @Override
    public long arenaSize(int n) { return plan(n).size; }

    @Override
    public int forward(DeviceBuffer arena, int n) {
        Plan p = plan(n);
        int x = new Pass(arena, n, p).run();
        return pool.forward(arena, n, x, p.pool);
    }

    /** One walk over the network: with a null arena it only records the largest map and conv scratch. */
    private final class Pass {
        final DeviceBuffer a;
        final int n;
        final Plan plan;
        long maxMap, maxScratch;

        Pass(DeviceBuffer a, int n, Plan plan) {
            this.a = a;
            this.n = n;
            this.plan = plan;
        }

        int slot(int i) { return plan == null ? 0 : plan.slots[i]; }

        void conv(Conv c, int h, int src, int dst) {
            int oh = c.outSize(h);
            maxMap = Math.max(maxMap, (long) n * c.out * oh * oh);
            maxScratch = Math.max(maxScratch, Device.conv2dScratch(n, c.in, h, h, c.out, c.k, c.k, c.stride, c.pad));
            if (a != null) d.conv2d(n, c.in, h, h, c.weight, c.out, c.k, c.k, c.stride, c.pad, a, src, a, dst, a, plan.scratch);
        }

        void bn(Bn b, int channels, int hw, int at, boolean relu) {
            if (a != null) d.batchNorm(n, channels, hw, a, at, b.mean, b.var, b.gamma, b.beta, EPS, relu);
        }

        void avgPool(int channels, int h, int k, int src, int dst) {
            maxMap = Math.max(maxMap, (long) n * channels * (h / k) * (h / k));
            if (a != null) d.avgPool(n * channels, h, h, k, a, src, a, dst);
        }

        /** Returns the offset of the final [n, 32·width, R/32, R/32] map. */
        int run() {
            int h = stem1.outSize(resolution);
            conv(stem1, resolution, plan == null ? 0 : plan.pixels, slot(0));
            bn(bn1, stem1.out, h * h, slot(0), true);
            conv(stem2, h, slot(0), slot(1));
            bn(bn2, stem2.out, h * h, slot(1), true);
            conv(stem3, h, slot(1), slot(2));
            bn(bn3, stem3.out, h * h, slot(2), true);
            avgPool(width, h, 2, slot(2), slot(3));
            int s = h / 2;
            int xs = 3, outS = 4; // slot indexes of the block input and output; 0, 1, 2, 5, 6 are block scratch
            for (Block b : blocks) {
                int x = slot(xs), planes = b.c1.out, outC = b.c3.out, os = s / b.stride;
                conv(b.c1, s, x, slot(0));
                bn(b.b1, planes, s * s, slot(0), true);
                conv(b.c2, s, slot(0), slot(1));
                bn(b.b2, planes, s * s, slot(1), true);
                int pooled = slot(1);
                if (b.stride > 1) avgPool(planes, s, b.stride, slot(1), pooled = slot(2));
                int out = slot(outS);
                conv(b.c3, os, pooled, out);
                bn(b.b3, outC, os * os, out, false);
                int identity = x;
                if (b.down != null) {
                    int xPooled = x;
                    if (b.stride > 1) avgPool(b.c1.in, s, b.stride, x, xPooled = slot(5));
                    conv(b.down, os, xPooled, identity = slot(6));
                    bn(b.downBn, outC, os * os, identity, false);
                }
                if (a != null) {
                    int size = n * outC * os * os;
                    d.axpy(size, 1f, a, identity, a, out);
                    d.relu(size, a, out);
                }
                int t = xs;
                xs = outS;
                outS = t;
                s = os;
            }
            return slot(xs);
        }
    }
}
