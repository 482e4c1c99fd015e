package io.flinkclip.model.nn;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.Conv;

/**
 * OpenAI's ModifiedResNet: a 3-conv stem (3×3 stride 2, 3×3, 3×3, each BN + ReLU) with AvgPool2d(2), four
 * Bottleneck stages of widths w, 2w, 4w, 8w (×4 expansion) and strides 1, 2, 2, 2, and attention pooling.
 */
public final class ModifiedResNet implements VisionTower {
    final int width, resolution, embedDim;
    final Conv2d conv1, conv2, conv3;
    final BatchNorm2d bn1, bn2, bn3;
    final Bottleneck[][] layers;
    final AttentionPool2d attnpool;
    /** Inference only (else null): the stem's conv+BN+ReLU fused, NHWC, packed. */
    final FusedConv s1, s2, s3;

    public ModifiedResNet(Params p, ClipConfig cfg) {
        width = cfg.visionWidth();
        resolution = cfg.imageResolution();
        embedDim = cfg.embedDim();
        if (width % 2 != 0 || resolution % 32 != 0) {
            throw new ClipFormatException("ResNet width " + width + " must be even and resolution " + resolution + " a multiple of 32");
        }
        if (p.inference()) {
            s1 = new FusedConv(p, "visual.conv1", "visual.bn1", 3, width / 2, 3, 2, 1, true, resolution);
            int stem = s1.outSize(resolution);
            s2 = new FusedConv(p, "visual.conv2", "visual.bn2", width / 2, width / 2, 3, 1, 1, true, stem);
            s3 = new FusedConv(p, "visual.conv3", "visual.bn3", width / 2, width, 3, 1, 1, true, stem);
            conv1 = conv2 = conv3 = null;
            bn1 = bn2 = bn3 = null;
        } else {
            s1 = s2 = s3 = null;
            conv1 = new Conv2d(p, "visual.conv1", 3, width / 2, 3, 2, 1);
            bn1 = new BatchNorm2d(p, "visual.bn1", width / 2);
            conv2 = new Conv2d(p, "visual.conv2", width / 2, width / 2, 3, 1, 1);
            bn2 = new BatchNorm2d(p, "visual.bn2", width / 2);
            conv3 = new Conv2d(p, "visual.conv3", width / 2, width, 3, 1, 1);
            bn3 = new BatchNorm2d(p, "visual.bn3", width);
        }
        int[] blocks = cfg.visionLayers();
        if (blocks.length != 4) throw new ClipFormatException("ResNet needs 4 stages, config has " + blocks.length);
        layers = new Bottleneck[4][];
        int inplanes = width, side = resolution / 4; // after the stem's stride and average pool
        for (int l = 0; l < 4; l++) {
            int planes = width << l;
            layers[l] = new Bottleneck[blocks[l]];
            for (int b = 0; b < blocks[l]; b++) {
                int stride = b == 0 && l > 0 ? 2 : 1;
                layers[l][b] = new Bottleneck(p, "visual.layer" + (l + 1) + "." + b, inplanes, planes, stride, side);
                inplanes = planes * Bottleneck.EXPANSION;
                side /= stride;
            }
        }
        attnpool = new AttentionPool2d(p, "visual.attnpool", resolution / 32, width * 32, cfg.visionHeads(), embedDim);
    }

    /** Train-mode BatchNorm (batch statistics) for the trainable model; off (eval mode) by default. */
    private volatile boolean batchStatistics;

    @Override
    public void setBatchStatistics(boolean on) {
        if (on && s1 != null) throw new IllegalStateException("an inference ResNet has its BatchNorms folded into the convolutions");
        batchStatistics = on;
    }

    static final class Cache {
        int n;
        float[] pixels, c1, a1, c2, a2, c3, a3, stem;
        /** The stem BatchNorms' batch statistics in train mode; null in eval mode. */
        BatchNorm2d.BatchStats s1, s2, s3;
        Bottleneck.Cache[][] blocks;
        AttentionPool2d.Cache pool;
    }

    @Override
    public float[] forward(float[] pixels, int n, Arena arena, Trace trace) { return forward(pixels, n, arena, trace, null); }

    float[] forward(float[] pixels, int n, Arena arena, Trace trace, Cache cache) {
        if (s1 != null) return forwardInference(pixels, n, arena, trace);
        boolean batchStats = batchStatistics, keep = cache != null;
        int h = conv1.outSize(resolution), half = width / 2;
        float[] a1 = arena.take(n * half * h * h);
        conv1.forward(pixels, n, resolution, resolution, a1);
        float[] c1 = keep ? arena.copyOf(a1) : null;
        BatchNorm2d.BatchStats st1 = bn1.forward(a1, n, h * h, true, batchStats, keep);
        float[] a2 = arena.take(n * half * h * h);
        conv2.forward(a1, n, h, h, a2);
        float[] c2 = keep ? arena.copyOf(a2) : null;
        BatchNorm2d.BatchStats st2 = bn2.forward(a2, n, h * h, true, batchStats, keep);
        float[] a3 = arena.take(n * width * h * h);
        conv3.forward(a2, n, h, h, a3);
        float[] c3 = keep ? arena.copyOf(a3) : null;
        BatchNorm2d.BatchStats st3 = bn3.forward(a3, n, h * h, true, batchStats, keep);
        int s = h / 2;
        float[] x = arena.take(n * width * s * s);
        Conv.avgPool(a3, n, width, h, h, 2, x);
        if (trace != null) trace.put("visual.avgpool", x, 0, n, width, s, s);
        if (cache != null) {
            cache.n = n; cache.c1 = c1; cache.a1 = a1; cache.c2 = c2; cache.a2 = a2; cache.c3 = c3; cache.a3 = a3; cache.stem = x;
            cache.s1 = st1; cache.s2 = st2; cache.s3 = st3;
            cache.blocks = new Bottleneck.Cache[4][];
        }
        int channels = width;
        for (int l = 0; l < 4; l++) {
            if (cache != null) cache.blocks[l] = new Bottleneck.Cache[layers[l].length];
            for (int b = 0; b < layers[l].length; b++) {
                Bottleneck block = layers[l][b];
                Bottleneck.Cache bc = cache == null ? null : (cache.blocks[l][b] = new Bottleneck.Cache());
                x = block.forward(x, n, s, s, arena, bc, batchStats);
                s /= block.stride;
                channels = block.planes * Bottleneck.EXPANSION;
            }
            if (trace != null) trace.put("visual.layer" + (l + 1), x, 0, n, channels, s, s);
        }
        AttentionPool2d.Cache pc = cache == null ? null : (cache.pool = new AttentionPool2d.Cache());
        float[] out = attnpool.forward(x, n, arena, pc);
        if (trace != null) trace.put("visual.attnpool", out, 0, n, embedDim);
        return out;
    }

    /**
     * Images per pass through the stem and layers 1–2 at larger batches; 0 runs the whole batch (for A/B runs).
     * Their maps are the big ones (a 56×56×256 map is 3.2 MB per image, 103 MB at batch 32) and their weights
     * small (≈ 6 MB), so in groups each layer reads its input from cache instead of DRAM and the weights are
     * re-read cheaply; layers 3–4 have the big weights and small maps and run on the whole batch.
     */
    private static final int EARLY_GROUP = Integer.getInteger("clip.resnet.earlyGroup", 8);
    private static final int EARLY_LAYERS = 2;

    /** The inference forward, channels-last from the stem to the attention pool (which reads NHWC directly). */
    private float[] forwardInference(float[] pixels, int n, Arena arena, Trace trace) {
        int group = trace != null || EARLY_GROUP <= 0 || n <= EARLY_GROUP ? n : EARLY_GROUP;
        int s = sizeAfter(s1.outSize(resolution) / 2, EARLY_LAYERS);
        float[] x;
        if (group == n) x = forwardEarly(pixels, 0, n, arena, trace);
        else {
            int perImage = s * s * layers[EARLY_LAYERS - 1][0].planes * Bottleneck.EXPANSION;
            x = arena.takeDirty(n * perImage);
            for (int b0 = 0; b0 < n; b0 += group) {
                int images = Math.min(group, n - b0);
                float[] part = forwardEarly(pixels, b0, images, arena, null);
                System.arraycopy(part, 0, x, b0 * perImage, images * perImage);
                arena.release(part);
            }
        }
        x = forwardLayers(EARLY_LAYERS, 4, x, n, s, arena, trace);
        float[] out = attnpool.forwardNhwc(x, n, arena);
        if (trace != null) trace.put("visual.attnpool", out, 0, n, embedDim);
        return out;
    }

    /** Stem, average pool and layers 1..{@link #EARLY_LAYERS} for the n images from image b0 of {@code pixels}. */
    private float[] forwardEarly(float[] pixels, int b0, int n, Arena arena, Trace trace) {
        int r = resolution, h = s1.outSize(r), half = width / 2;
        float[] x0 = Nhwc.fromNchw(pixels, b0 * 3 * r * r, n, 3, r * r, arena.takeDirty(n * r * r * 3));
        float[] a1 = arena.takeDirty(n * h * h * half);
        s1.forward(x0, n, r, r, a1, false);
        arena.release(x0);
        float[] a2 = arena.takeDirty(n * h * h * half);
        s2.forward(a1, n, h, h, a2, false);
        arena.release(a1);
        int s = h / 2;
        float[] x = arena.takeDirty(n * s * s * width);
        if (s3.poolsInForward(h, h)) s3.forwardPool2(a2, n, h, h, x);
        else {
            float[] a3 = arena.takeDirty(n * h * h * width);
            s3.forward(a2, n, h, h, a3, false);
            Nhwc.avgPool(a3, n, h, h, width, 2, x);
            arena.release(a3);
        }
        arena.release(a2);
        if (trace != null && trace.wants("visual.avgpool")) trace.put("visual.avgpool", Nhwc.toNchw(x, n, s * s, width), 0, n, width, s, s);
        return forwardLayers(0, EARLY_LAYERS, x, n, s, arena, trace);
    }

    /** Bottleneck stages [from, to) on x [n, s, s, channels], tracing each stage's output. */
    private float[] forwardLayers(int from, int to, float[] x, int n, int s, Arena arena, Trace trace) {
        for (int l = from; l < to; l++) {
            for (Bottleneck block : layers[l]) {
                float[] in = x;
                x = block.forwardInference(in, n, s, s, arena);
                if (x != in) arena.release(in);
                s /= block.stride;
            }
            String key = "visual.layer" + (l + 1);
            if (trace != null && trace.wants(key)) {
                int channels = layers[l][0].planes * Bottleneck.EXPANSION;
                trace.put(key, Nhwc.toNchw(x, n, s * s, channels), 0, n, channels, s, s);
            }
        }
        return x;
    }

    /** Map side after the first {@code stages} Bottleneck stages, from side s. */
    private int sizeAfter(int s, int stages) {
        for (int l = 0; l < stages; l++) for (Bottleneck block : layers[l]) s /= block.stride;
        return s;
    }

    /** Forward keeping every activation the backward pass needs. */
    Cache forwardTrain(float[] pixels, int n, Arena arena, float[][] out) {
        Cache c = new Cache();
        c.pixels = pixels;
        out[0] = forward(pixels, n, arena, null, c);
        return c;
    }

    /** Accumulates parameter gradients from dOut = d loss / d features [n, embedDim]. */
    void backward(Cache c, float[] dOut, Arena arena, Gradients g) {
        int n = c.n, half = width / 2, h = conv1.outSize(resolution);
        float[] dx = attnpool.backward(c.pool, dOut, arena, g);
        for (int l = 3; l >= 0; l--) {
            for (int b = layers[l].length - 1; b >= 0; b--) dx = layers[l][b].backward(c.blocks[l][b], dx, arena, g);
        }
        float[] dA3 = arena.take(n * width * h * h);
        Backprop.avgPool(dx, n * width, h, h, 2, dA3);
        Backprop.relu(c.a3, dA3, dA3.length);
        Backprop.batchNorm(bn3, c.c3, dA3, n, h * h, c.s3, g);
        float[] dA2 = arena.take(n * half * h * h);
        Backprop.conv2d(conv3, c.a2, n, h, h, dA3, dA2, g);
        Backprop.relu(c.a2, dA2, dA2.length);
        Backprop.batchNorm(bn2, c.c2, dA2, n, h * h, c.s2, g);
        float[] dA1 = arena.take(n * half * h * h);
        Backprop.conv2d(conv2, c.a1, n, h, h, dA2, dA1, g);
        Backprop.relu(c.a1, dA1, dA1.length);
        Backprop.batchNorm(bn1, c.c1, dA1, n, h * h, c.s1, g);
        Backprop.conv2d(conv1, c.pixels, n, resolution, resolution, dA1, null, g);
    }

    @Override
    public int resolution() { return resolution; }

    @Override
    public int embedDim() { return embedDim; }
}
