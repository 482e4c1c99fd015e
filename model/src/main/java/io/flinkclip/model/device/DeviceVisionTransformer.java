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
