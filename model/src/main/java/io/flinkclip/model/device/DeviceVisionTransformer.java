package io.flinkclip.model.device;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/**
 * OpenAI's VisionTransformer on a device: patch conv (im2col + GEMM) → [class; patches] + positional embedding
 * → ln_pre → transformer → ln_post of the class tokens → {@code @ visual.proj}.
 */
final class DeviceVisionTransformer implements DeviceImageTower {
    private static final float EPS = 1e-5f;
    private final Device d;
    private final int width, patch, resolution, patches, tokens, embedDim;
    private final DeviceBuffer conv1, classEmbedding, positional, lnPreW, lnPreB, lnPostW, lnPostB, proj;
    private final DeviceTransformer transformer;

    DeviceVisionTransformer(Device d, DeviceWeights w, ClipConfig cfg) {
        this.d = d;
        width = cfg.visionWidth();
        patch = cfg.visionPatchSize();
        resolution = cfg.imageResolution();
        int grid = resolution / patch;
        patches = grid * grid;
        tokens = patches + 1;
        embedDim = cfg.embedDim();
        conv1 = w.get("visual.conv1.weight");
        classEmbedding = w.get("visual.class_embedding");
        positional = w.get("visual.positional_embedding");
        lnPreW = w.get("visual.ln_pre.weight");
        lnPreB = w.get("visual.ln_pre.bias");
        transformer = new DeviceTransformer(d, w, "visual.transformer", width, cfg.visionLayers()[0], cfg.visionHeads());
        lnPostW = w.get("visual.ln_post.weight");
        lnPostB = w.get("visual.ln_post.bias");
        proj = w.get("visual.proj");
    }

    private record Plan(int pixels, int scratch, int conv, int embedded, int x, DeviceTransformer.Scratch blocks, int cls, int post, int out,
                        long size) {}

    private Plan plan(int n) {
        Layout l = new Layout();
        int rows = n * tokens;
        int pixels = l.take(3L * n * resolution * resolution);
        int scratch = l.take(Device.conv2dScratch(n, 3, resolution, resolution, width, patch, patch, patch, 0));
        int conv = l.take((long) n * width * patches);
        int embedded = l.take((long) rows * width);
        int x = l.take((long) rows * width);
        DeviceTransformer.Scratch blocks = DeviceTransformer.Scratch.plan(l, rows, width);
        int cls = l.take((long) n * width), post = l.take((long) n * width), out = l.take((long) n * embedDim);
        return new Plan(pixels, scratch, conv, embedded, x, blocks, cls, post, out, l.size());
    }

    /** Training regions: the forward's activations kept for the backward pass, then the backward's own. */
    record TrainPlan(int pixels, int scratch, int conv, int embedded, int statsPre, int x, DeviceTransformer.Saved[] blocks, int cls,
                     int statsPost, int post, int out, int dOut, int dPost, int dCls, int dh, int dEmb, int dClsRows, int cols,
                     DeviceTransformer.BackScratch back) {}

    TrainPlan planTrain(Layout l, int n) {
        int rows = n * tokens;
        long tw = (long) rows * width;
        int pixels = l.take(3L * n * resolution * resolution);
        int scratch = l.take(Device.conv2dScratch(n, 3, resolution, resolution, width, patch, patch, patch, 0));
        int conv = l.take((long) n * width * patches), embedded = l.take(tw), statsPre = l.take(2L * rows), x = l.take(tw);
        DeviceTransformer.Saved[] blocks = transformer.planSaved(l, rows);
        int cls = l.take((long) n * width), statsPost = l.take(2L * n), post = l.take((long) n * width), out = l.take((long) n * embedDim);
        int dOut = l.take((long) n * embedDim), dPost = l.take((long) n * width), dCls = l.take((long) n * width);
        int dh = l.take(tw), dEmb = l.take(tw), dClsRows = l.take((long) n * width);
        int cols = l.take(Device.conv2dScratch(n, 3, resolution, resolution, 0, patch, patch, patch, 0));
        return new TrainPlan(pixels, scratch, conv, embedded, statsPre, x, blocks, cls, statsPost, post, out, dOut, dPost, dCls, dh, dEmb,
                dClsRows, cols, transformer.planBackward(l, n, tokens));
    }

    /** Training forward over the images at {@code p.pixels}; returns the offset of the features. */
    int forwardTrain(DeviceBuffer a, int n, TrainPlan p) {
        d.conv2d(n, 3, resolution, resolution, conv1, width, patch, patch, patch, 0, a, p.pixels, a, p.conv, a, p.scratch);
        d.patchTokens(n, width, patches, a, p.conv, classEmbedding, a, p.embedded);
        d.addRowVector(n, tokens * width, a, p.embedded, positional, 0);
        d.layerNorm(n * tokens, width, a, p.embedded, lnPreW, lnPreB, a, p.x, EPS, a, p.statsPre);
        transformer.forwardTrain(a, p.x, n, tokens, false, p.blocks);
        d.copyRows(n, width, a, p.x, tokens * width, a, p.cls, width);
        d.layerNorm(n, width, a, p.cls, lnPostW, lnPostB, a, p.post, EPS, a, p.statsPost);
        d.gemmNN(n, embedDim, width, a, p.post, proj, 0, a, p.out, false);
        return p.out;
    }

    /** Backward from d loss / d features at {@code p.dOut}, accumulating every visual.* gradient into {@code g}. */
    void backward(DeviceBuffer a, int n, TrainPlan p, DeviceGradients g) {
        DeviceBuffer gb = g.buffer();
        int rows = n * tokens, tw = rows * width, w = width;
        d.gemmTN(w, embedDim, n, a, p.post, a, p.dOut, gb, g.offset("visual.proj"), true);
        d.gemmNT(n, w, embedDim, a, p.dOut, proj, 0, null, a, p.dPost, false);
        d.layerNormParamGrads(n, w, a, p.cls, a, p.statsPost, a, p.dPost, gb, g.offset("visual.ln_post.weight"), gb, g.offset("visual.ln_post.bias"));
        d.fill(n * w, 0f, a, p.dCls);
        d.layerNormBackward(n, w, a, p.cls, lnPostW, a, p.statsPost, a, p.dPost, a, p.dCls);
        // only the class tokens reach the output
        d.fill(tw, 0f, a, p.dh);
        d.copyRows(n, w, a, p.dCls, w, a, p.dh, tokens * w);
        transformer.backward(a, p.dh, n, tokens, false, p.blocks, p.back, g);
        d.layerNormParamGrads(rows, w, a, p.embedded, a, p.statsPre, a, p.dh, gb, g.offset("visual.ln_pre.weight"), gb, g.offset("visual.ln_pre.bias"));
        d.fill(tw, 0f, a, p.dEmb);
        d.layerNormBackward(rows, w, a, p.embedded, lnPreW, a, p.statsPre, a, p.dh, a, p.dEmb);
        d.columnSum(n, tokens * w, a, p.dEmb, gb, g.offset("visual.positional_embedding"));
        d.copyRows(n, w, a, p.dEmb, tokens * w, a, p.dClsRows, w);
        d.columnSum(n, w, a, p.dClsRows, gb, g.offset("visual.class_embedding"));
        // conv1: dW[o, (c·p + i)·p + j] += Σ_b Σ_s dPatch_b[s, o] · cols[(c·p + i)·p + j, b·patches + s]
        int k = 3 * patch * patch;
        d.im2col(n, 3, resolution, resolution, patch, patch, patch, 0, a, p.pixels, a, p.cols);
        for (int b = 0; b < n; b++) {
            d.gemm(w, k, patches, a, p.dEmb + b * tokens * w + w, 1, w, a, p.cols + b * patches, 1, n * patches, null, 0,
                    gb, g.offset("visual.conv1.weight"), k, 1f);
        }
    }

    @Override
    public long arenaSize(int n) { return plan(n).size; }

    @Override
    public int forward(DeviceBuffer a, int n) {
        Plan p = plan(n);
        d.conv2d(n, 3, resolution, resolution, conv1, width, patch, patch, patch, 0, a, p.pixels, a, p.conv, a, p.scratch);
        d.patchTokens(n, width, patches, a, p.conv, classEmbedding, a, p.embedded);
        d.addRowVector(n, tokens * width, a, p.embedded, positional, 0);
        d.layerNorm(n * tokens, width, a, p.embedded, lnPreW, lnPreB, a, p.x, EPS, null);
        transformer.forward(a, p.x, n, tokens, false, p.blocks);
        d.copyRows(n, width, a, p.x, tokens * width, a, p.cls, width);
        d.layerNorm(n, width, a, p.cls, lnPostW, lnPostB, a, p.post, EPS, null);
        d.gemmNN(n, embedDim, width, a, p.post, proj, 0, a, p.out, false);
        return p.out;
    }
}
