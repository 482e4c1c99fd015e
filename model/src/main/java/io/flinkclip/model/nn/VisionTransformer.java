package io.flinkclip.model.nn;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.Ops;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.Parallel;

/**
 * OpenAI's VisionTransformer: patchify conv (no bias) → [class token; patches] + positional embedding →
 * ln_pre → transformer → ln_post on the class token → {@code x @ visual.proj}.
 */
public final class VisionTransformer implements VisionTower {
    final int width, patch, resolution, grid, tokens, embedDim;
    final float[] conv1, classEmbedding, positionalEmbedding, proj;
    /** Inference only: conv1 as a [width, 3·patch²] GEMM operand and proj, both packed once (else null). */
    final PackedMatrix conv1Packed, projPacked;
    final LayerNorm lnPre, lnPost;
    final Conv2d conv1Layer;
    final Transformer transformer;

    public VisionTransformer(Params p, ClipConfig cfg) {
        width = cfg.visionWidth();
        patch = cfg.visionPatchSize();
        resolution = cfg.imageResolution();
        grid = resolution / patch;
        tokens = grid * grid + 1;
        embedDim = cfg.embedDim();
        if (p.inference()) {
            conv1Layer = null;
            conv1 = null;
            conv1Packed = p.packed(p.weight("visual.conv1.weight", width, 3, patch, patch).packNK(0, width, 3 * patch * patch));
            p.release("visual.conv1.weight");
        } else {
            conv1Layer = new Conv2d(p, "visual.conv1", 3, width, patch, patch, 0);
            conv1 = conv1Layer.weight;
            conv1Packed = null;
        }
        classEmbedding = p.get("visual.class_embedding", width);
        positionalEmbedding = p.get("visual.positional_embedding", tokens, width);
        lnPre = new LayerNorm(p, "visual.ln_pre", width);
        transformer = new Transformer(p, "visual.transformer", width, cfg.visionLayers()[0], cfg.visionHeads());
        lnPost = new LayerNorm(p, "visual.ln_post", width);
        if (p.inference()) {
            projPacked = p.packed(p.weight("visual.proj", width, embedDim).packKN(0, width, embedDim));
            proj = null;
            p.release("visual.proj");
        } else {
            projPacked = null;
            proj = p.get("visual.proj", width, embedDim);
        }
    }

    /** Saved activations for the backward pass. */
    static final class Cache {
        int n;
        float[] pixels, embedded, cls, post;
        ResidualAttentionBlock.Acts[] blocks;
    }

    @Override
    public float[] forward(float[] pixels, int n, Arena arena, Trace trace) { return forward(pixels, n, arena, trace, null); }

    float[] forward(float[] pixels, int n, Arena arena, Trace trace, Cache cache) {
        if (conv1Packed != null) return forwardInference(pixels, n, arena, trace);
        int gg = grid * grid, w = width;
        float[] patches = arena.take(n * w * gg);
        Conv.conv2d(pixels, n, 3, resolution, resolution, conv1, null, w, patch, patch, patch, 0, patches);
        if (trace != null) trace.put("visual.conv1", patches, 0, n, w, grid, grid);

        // [n, w, g·g] channel-major conv output → token-major [n, 1 + g·g, w], plus the positional embedding
        float[] x = arena.take(n * tokens * w);
        for (int b = 0; b < n; b++) {
            int base = b * tokens * w;
            for (int c = 0; c < w; c++) x[base + c] = classEmbedding[c] + positionalEmbedding[c];
            for (int s = 0; s < gg; s++) {
                int t = base + (1 + s) * w, pos = (1 + s) * w, src = b * w * gg + s;
                for (int c = 0; c < w; c++) x[t + c] = patches[src + c * gg] + positionalEmbedding[pos + c];
            }
        }
        float[] h = arena.take(n * tokens * w);
        lnPre.forward(x, 0, h, 0, n * tokens);
        if (trace != null) trace.put("visual.ln_pre", h, 0, n, tokens, w);

        ResidualAttentionBlock.Acts[] acts = transformer.forward(h, n, tokens, false, arena, trace, cache != null);

        float[] cls = arena.take(n * w);
        for (int b = 0; b < n; b++) System.arraycopy(h, b * tokens * w, cls, b * w, w);
        float[] post = arena.take(n * w);
        lnPost.forward(cls, 0, post, 0, n);
        if (trace != null) trace.put("visual.ln_post", post, 0, n, w);

        float[] out = new float[n * embedDim];
        Gemm.nn(post, 0, proj, 0, out, 0, n, embedDim, w, false);
        if (cache != null) {
            cache.n = n;
            cache.embedded = x;
            cache.cls = cls;
            cache.post = post;
            cache.blocks = acts;
        }
        return out;
    }

    /**
     * The inference forward: patchify as one GEMM over all images' patches (rows = patches, so the result is
     * already token-major), packed weights everywhere, one shared set of block buffers.
     */
    private float[] forwardInference(float[] pixels, int n, Arena arena, Trace trace) {
        int gg = grid * grid, w = width, kdim = 3 * patch * patch;
        long t0 = LayerTimes.start();
        float[] cols = arena.take(n * gg * kdim);
        Parallel.forEach(n * gg, 16, row -> { // cols[b·gg + s, (c, i, j)] = pixels[b, c, gy·p + i, gx·p + j]
            int b = row / gg, s = row % gg, gy = s / grid, gx = s % grid, o = row * kdim;
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < patch; i++, o += patch) {
                    System.arraycopy(pixels, ((b * 3 + c) * resolution + gy * patch + i) * resolution + gx * patch, cols, o, patch);
                }
            }
        });
        LayerTimes.stop("visual.conv1.im2col", t0);
        t0 = LayerTimes.start();
        float[] patches = arena.take(n * gg * w);
        Gemm.packed(cols, 0, conv1Packed, null, patches, 0, n * gg, false, Epilogue.NONE);
        LayerTimes.stop("visual.conv1", t0);
        t0 = LayerTimes.start();
        if (trace != null && trace.wants("visual.conv1")) {
            float[] nchw = arena.take(n * w * gg);
            for (int b = 0; b < n; b++) for (int s = 0; s < gg; s++) for (int c = 0; c < w; c++) nchw[(b * w + c) * gg + s] = patches[(b * gg + s) * w + c];
            trace.put("visual.conv1", nchw, 0, n, w, grid, grid);
        }
        // x[b] = positional embedding + [class embedding; patches of image b] (addition commutes, so the bits are
        // those of the training forward's sums), one image per task, vectorised: a scalar loop on one thread took
        // 1.6–3.3 ms of a batch-32 pass.
        float[] x = arena.take(n * tokens * w);
        Parallel.forEach(n, 1, b -> {
            int base = b * tokens * w;
            System.arraycopy(positionalEmbedding, 0, x, base, tokens * w);
            Ops.addInPlace(x, base, classEmbedding, 0, w);
            Ops.addInPlace(x, base + w, patches, b * gg * w, gg * w);
        });
        LayerTimes.stop("visual.embed", t0);
        float[] h = arena.take(n * tokens * w);
        lnPre.forward(x, 0, h, 0, n * tokens);
        if (trace != null) trace.put("visual.ln_pre", h, 0, n, tokens, w);
        transformer.forward(h, n, tokens, false, arena, trace, false, new int[n]); // only the class token is read
        float[] cls = arena.take(n * w);
        for (int b = 0; b < n; b++) System.arraycopy(h, b * tokens * w, cls, b * w, w);
        float[] post = arena.take(n * w);
        lnPost.forward(cls, 0, post, 0, n);
        if (trace != null) trace.put("visual.ln_post", post, 0, n, w);
        float[] out = new float[n * embedDim];
        Gemm.packed(post, 0, projPacked, null, out, 0, n, false, Epilogue.NONE);
        return out;
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
        int n = c.n, w = width, gg = grid * grid;
        Gemm.tn(c.post, 0, dOut, 0, g.of("visual.proj", w, embedDim), 0, w, embedDim, n, true);
        float[] dPost = arena.take(n * w);
        Gemm.nt(dOut, 0, proj, 0, null, dPost, 0, n, w, embedDim, false);
        float[] dh = arena.take(n * tokens * w); // zero except the class tokens
        float[] dCls = arena.take(n * w);
        Backprop.layerNorm(lnPost, c.cls, 0, dPost, 0, dCls, 0, n, false, g);
        for (int b = 0; b < n; b++) System.arraycopy(dCls, b * w, dh, b * tokens * w, w);
        transformer.backward(dh, n, tokens, false, c.blocks, arena, g);
        float[] dx = arena.take(n * tokens * w);
        Backprop.layerNorm(lnPre, c.embedded, 0, dh, 0, dx, 0, n * tokens, false, g);
        float[] gCls = g.of("visual.class_embedding", w), gPos = g.of("visual.positional_embedding", tokens, w);
        float[] dPatches = arena.take(n * w * gg);
        for (int b = 0; b < n; b++) {
            int base = b * tokens * w;
            for (int i = 0; i < tokens * w; i++) gPos[i] += dx[base + i];
            for (int ch = 0; ch < w; ch++) gCls[ch] += dx[base + ch];
            for (int s = 0; s < gg; s++) {
                for (int ch = 0; ch < w; ch++) dPatches[b * w * gg + ch * gg + s] = dx[base + (1 + s) * w + ch];
            }
        }
        Backprop.conv2d(conv1Layer, c.pixels, n, resolution, resolution, dPatches, null, g);
    }

    @Override
    public int resolution() { return resolution; }

    @Override
    public int embedDim() { return embedDim; }
}
