package io.flinkclip.model.nn;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Gemm;

/**
 * OpenAI's VisionTransformer: patchify conv (no bias) → [class token; patches] + positional embedding →
 * ln_pre → transformer → ln_post on the class token → {@code x @ visual.proj}.
 */
public final class VisionTransformer implements VisionTower {
    final int width, patch, resolution, grid, tokens, embedDim;
    final float[] conv1, classEmbedding, positionalEmbedding, proj;
    final LayerNorm lnPre, lnPost;
    final Transformer transformer;

    public VisionTransformer(Params p, ClipConfig cfg) {
        width = cfg.visionWidth();
        patch = cfg.visionPatchSize();
        resolution = cfg.imageResolution();
        grid = resolution / patch;
        tokens = grid * grid + 1;
        embedDim = cfg.embedDim();
        conv1 = p.get("visual.conv1.weight", width, 3, patch, patch);
        classEmbedding = p.get("visual.class_embedding", width);
        positionalEmbedding = p.get("visual.positional_embedding", tokens, width);
        lnPre = new LayerNorm(p, "visual.ln_pre", width);
        transformer = new Transformer(p, "visual.transformer", width, cfg.visionLayers()[0], cfg.visionHeads());
        lnPost = new LayerNorm(p, "visual.ln_post", width);
        proj = p.get("visual.proj", width, embedDim);
    }

    /** Saved activations for the backward pass. */
    static final class Cache {
        int n;
        float[] embedded, tokensIn, cls, post;
        ResidualAttentionBlock.Acts[] blocks;
    }

    @Override
    public float[] forward(float[] pixels, int n, Arena arena, Trace trace) { return forward(pixels, n, arena, trace, null); }

    float[] forward(float[] pixels, int n, Arena arena, Trace trace, Cache cache) {
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
            cache.tokensIn = null;
            cache.cls = cls;
            cache.post = post;
            cache.blocks = acts;
        }
        return out;
    }

    @Override
    public int resolution() { return resolution; }

    @Override
    public int embedDim() { return embedDim; }
}
