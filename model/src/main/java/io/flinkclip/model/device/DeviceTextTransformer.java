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

    record TrainPlan(int x, DeviceTransformer.Saved[] blocks, int pooled, int stats, int normed, int out, int dOut, int dNormed, int dPooled,
                     int dx, DeviceTransformer.BackScratch back) {}

    TrainPlan planTrain(Layout l, int n, int seq) {
        int rows = n * seq;
        int x = l.take((long) rows * width);
        DeviceTransformer.Saved[] blocks = transformer.planSaved(l, rows);
        int pooled = l.take((long) n * width), stats = l.take(2L * n), normed = l.take((long) n * width), out = l.take((long) n * embedDim);
        int dOut = l.take((long) n * embedDim), dNormed = l.take((long) n * width), dPooled = l.take((long) n * width);
        int dx = l.take((long) rows * width);
        return new TrainPlan(x, blocks, pooled, stats, normed, out, dOut, dNormed, dPooled, dx, transformer.planBackward(l, n, seq));
    }

    int forwardTrain(DeviceBuffer a, int n, int seq, DeviceBuffer ids, DeviceBuffer poolRows, TrainPlan p) {
        d.embeddingGather(n * seq, width, ids, tokenEmbedding, a, p.x);
        d.addRowVector(n, seq * width, a, p.x, positional, 0);
        transformer.forwardTrain(a, p.x, n, seq, true, p.blocks);
        d.gatherRows(n, width, poolRows, a, p.x, a, p.pooled);
        d.layerNorm(n, width, a, p.pooled, lnW, lnB, a, p.normed, EPS, a, p.stats);
        d.gemmNN(n, embedDim, width, a, p.normed, projection, 0, a, p.out, false);
        return p.out;
    }

    /**
     * Backward from d loss / d features at {@code p.dOut}. Only pooled rows receive a gradient; positions after
     * them stay exactly zero (causal mask), as do the token-embedding rows of ids that never occur.
     */
    void backward(DeviceBuffer a, int n, int seq, DeviceBuffer ids, DeviceBuffer poolRows, TrainPlan p, DeviceGradients g) {
        DeviceBuffer gb = g.buffer();
        int rows = n * seq;
        d.gemmTN(width, embedDim, n, a, p.normed, a, p.dOut, gb, g.offset("text_projection"), true);
        d.gemmNT(n, width, embedDim, a, p.dOut, projection, 0, null, a, p.dNormed, false);
        d.layerNormParamGrads(n, width, a, p.pooled, a, p.stats, a, p.dNormed, gb, g.offset("ln_final.weight"), gb, g.offset("ln_final.bias"));
        d.fill(n * width, 0f, a, p.dPooled);
        d.layerNormBackward(n, width, a, p.pooled, lnW, a, p.stats, a, p.dNormed, a, p.dPooled);
        d.fill(rows * width, 0f, a, p.dx);
        d.scatterAddRows(n, width, poolRows, a, p.dPooled, a, p.dx);
        transformer.backward(a, p.dx, n, seq, true, p.blocks, p.back, g);
        d.columnSum(n, seq * width, a, p.dx, gb, g.offset("positional_embedding"));
        d.scatterAddRows(rows, width, ids, a, p.dx, gb, g.offset("token_embedding.weight"));
    }

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
