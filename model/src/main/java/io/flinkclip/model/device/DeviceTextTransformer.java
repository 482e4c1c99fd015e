package io.flinkclip.model.device;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/**
 * OpenAI's text encoder on a device: token + positional embedding → causal transformer → ln_final of the pooled
 * rows → {@code @ text_projection}. The caller supplies the ids already cut to the batch's sequence length (the
 * exact padding skip: with the causal mask nothing after a row's pooled position changes its feature) and the
 * flat row index of every pooled token.
 */
final class DeviceTextTransformer {
    private static final float EPS = 1e-5f;
    private final Device d;
    private final int width, embedDim;
    private final DeviceBuffer tokenEmbedding, positional, lnW, lnB, projection;
    private final DeviceTransformer transformer;

    DeviceTextTransformer(Device d, DeviceWeights w, ClipConfig cfg) {
        this.d = d;
        width = cfg.textWidth();
        embedDim = cfg.embedDim();
        tokenEmbedding = w.get("token_embedding.weight");
        positional = w.get("positional_embedding");
        transformer = new DeviceTransformer(d, w, "transformer", width, cfg.textLayers(), cfg.textHeads());
        lnW = w.get("ln_final.weight");
        lnB = w.get("ln_final.bias");
        projection = w.get("text_projection");
    }

    private record Plan(int x, DeviceTransformer.Scratch blocks, int pooled, int normed, int out, long size) {}

    private Plan plan(int n, int seq) {
        Layout l = new Layout();
        int rows = n * seq;
        int x = l.take((long) rows * width);
        DeviceTransformer.Scratch blocks = DeviceTransformer.Scratch.plan(l, rows, width);
        int pooled = l.take((long) n * width), normed = l.take((long) n * width), out = l.take((long) n * embedDim);
        return new Plan(x, blocks, pooled, normed, out, l.size());
    }

    long arenaSize(int n, int seq) { return plan(n, seq).size; }

    /**
     * @param ids      n·seq token ids (int bit patterns), row-major
     * @param poolRows n flat row indexes (r·seq + pooled position)
     * @return offset of the [n, embedDim] features
     */
    int forward(DeviceBuffer a, int n, int seq, DeviceBuffer ids, DeviceBuffer poolRows) {
        Plan p = plan(n, seq);
        d.embeddingGather(n * seq, width, ids, tokenEmbedding, a, p.x);
        d.addRowVector(n, seq * width, a, p.x, positional, 0);
        transformer.forward(a, p.x, n, seq, true, p.blocks);
        // LayerNorm is per token, so normalising only the pooled rows is exact.
        d.gatherRows(n, width, poolRows, a, p.x, a, p.pooled);
        d.layerNorm(n, width, a, p.pooled, lnW, lnB, a, p.normed, EPS, null);
        d.gemmNN(n, embedDim, width, a, p.normed, projection, 0, a, p.out, false);
        return p.out;
    }
}
