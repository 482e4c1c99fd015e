package io.flinkclip.model.nn;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.PackedMatrix;

/**
 * OpenAI's text encoder: token + positional embedding → causal transformer → ln_final → the feature at the
 * end-of-text token → {@code @ text_projection}.
 *
 * <p>Pooling position: OpenAI takes {@code tokens.argmax(-1)}, the FIRST position holding the largest id.
 * Since EOT (49407) is the largest id in the vocabulary this is the first EOT; we reproduce argmax exactly,
 * so even rows without an EOT behave as in the reference.
 *
 * <p>Padding skip (exact): with the causal mask, token t only sees tokens ≤ t, so nothing after a row's
 * pooled position can change its feature. The batch therefore runs only up to the largest pooled
 * position + 1 instead of the full context length (typically 77 → ~15 for captions).
 */
public final class TextTransformer {
    public static final int EOT = 49407;
    final int width, contextLength, vocab, embedDim;
    final float[] positionalEmbedding, textProjection;
    /** token_embedding.weight: 16-bit for inference where exact (see {@link EmbeddingRows}). */
    final EmbeddingRows tokenEmbedding;
    /** Inference only: text_projection packed once (else null). */
    final PackedMatrix projectionPacked;
    final Transformer transformer;
    final LayerNorm lnFinal;

    public TextTransformer(Params p, ClipConfig cfg) {
        width = cfg.textWidth();
        contextLength = cfg.contextLength();
        vocab = cfg.vocabSize();
        embedDim = cfg.embedDim();
        if (p.inference()) {
            tokenEmbedding = EmbeddingRows.forInference(p.weight("token_embedding.weight", vocab, width), vocab, width);
            p.release("token_embedding.weight");
        } else {
            tokenEmbedding = EmbeddingRows.of(p.get("token_embedding.weight", vocab, width), vocab, width, false);
        }
        positionalEmbedding = p.get("positional_embedding", contextLength, width);
        transformer = new Transformer(p, "transformer", width, cfg.textLayers(), cfg.textHeads());
        lnFinal = new LayerNorm(p, "ln_final", width);
        if (p.inference()) {
            projectionPacked = p.packed(p.weight("text_projection", width, embedDim).packKN(0, width, embedDim));
            textProjection = null;
            p.release("text_projection");
        } else {
            projectionPacked = null;
            textProjection = p.get("text_projection", width, embedDim);
        }
    }

    static final class Cache {
        int n, seq;
        int[][] tokens;
        int[] pool;
        float[] pooled, normed;
        ResidualAttentionBlock.Acts[] blocks;
    }

    /** The pooled position of a row: the first index of its largest id (OpenAI's argmax). */
    static int poolPosition(int[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /** Checks a batch of rows: 1..contextLength ids each, every id a valid vocabulary index. */
    void validate(int[][] tokens) {
        for (int r = 0; r < tokens.length; r++) {
            int[] row = tokens[r];
            if (row == null || row.length == 0 || row.length > contextLength) {
                throw new IllegalArgumentException("token row " + r + " has " + (row == null ? "no" : row.length)
                        + " ids, expected 1.." + contextLength);
            }
            for (int i = 0; i < row.length; i++) {
                if (row[i] < 0 || row[i] >= vocab) {
                    throw new IllegalArgumentException("token row " + r + " holds id " + row[i] + " at " + i + ", outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
    }

    /** Validates the rows and returns how many positions each must run (its pooled position + 1). */
    public int[] runLengths(int[][] tokens) {
        validate(tokens);
        int[] len = new int[tokens.length];
        for (int r = 0; r < tokens.length; r++) len[r] = poolPosition(tokens[r]) + 1;
        return len;
    }

    /**
     * @param skipPadding run only up to the batch's last pooled position (exact, see class doc); when false
     *                    (or when tracing) every row runs at the full context length as the reference does
     */
    public float[] forward(int[][] tokens, Arena arena, Trace trace, boolean skipPadding) {
        return forward(tokens, arena, trace, skipPadding, null);
    }

    float[] forward(int[][] tokens, Arena arena, Trace trace, boolean skipPadding, Cache cache) {
        validate(tokens);
        int n = tokens.length, d = width;
        int[] pool = new int[n];
        int seq = 1;
        for (int r = 0; r < n; r++) {
            pool[r] = poolPosition(tokens[r]);
            seq = Math.max(seq, pool[r] + 1);
        }
        if (!skipPadding || trace != null) seq = contextLength;

        float[] x = arena.take(n * seq * d);
        for (int r = 0; r < n; r++) {
            int[] row = tokens[r];
            for (int t = 0; t < seq; t++) {
                int id = t < row.length ? row[t] : 0; // unpadded rows: the reference pads with 0
                tokenEmbedding.copyRow(id, x, (r * seq + t) * d);
            }
        }
        if (trace != null) trace.put("token_embedding", x, 0, n, seq, d);
        for (int r = 0; r < n; r++) {
            for (int t = 0; t < seq; t++) {
                int o = (r * seq + t) * d, po = t * d;
                for (int c = 0; c < d; c++) x[o + c] += positionalEmbedding[po + c];
            }
        }
        if (trace != null) trace.put("transformer.input", x, 0, n, seq, d);

        // Only each row's pooled token is read below (the training pass keeps every activation and runs them all).
        ResidualAttentionBlock.Acts[] acts = transformer.forward(x, n, seq, true, arena, trace, cache != null, pool);

        if (trace != null && trace.wants("ln_final")) {
            float[] all = arena.take(n * seq * d);
            lnFinal.forward(x, 0, all, 0, n * seq);
            trace.put("ln_final", all, 0, n, seq, d);
        }
        // LayerNorm is per token, so normalising only the pooled rows is exact.
        float[] pooled = arena.take(n * d);
        for (int r = 0; r < n; r++) System.arraycopy(x, (r * seq + pool[r]) * d, pooled, r * d, d);
        float[] normed = arena.take(n * d);
        lnFinal.forward(pooled, 0, normed, 0, n);
        float[] out = new float[n * embedDim];
        if (projectionPacked != null) Gemm.packed(normed, 0, projectionPacked, null, out, 0, n, false, Epilogue.NONE);
        else Gemm.nn(normed, 0, textProjection, 0, out, 0, n, embedDim, d, false);
        if (cache != null) {
            cache.n = n; cache.seq = seq; cache.tokens = tokens; cache.pool = pool; cache.pooled = pooled; cache.normed = normed; cache.blocks = acts;
        }
        return out;
    }

    /** Forward (with the padding skip) keeping every activation the backward pass needs. */
    Cache forwardTrain(int[][] tokens, Arena arena, float[][] out) {
        Cache c = new Cache();
        out[0] = forward(tokens, arena, null, true, c);
        return c;
    }

    /**
     * Accumulates parameter gradients from dOut = d loss / d features [n, embedDim]. Positions after a row's
     * pooled token get exactly zero gradient (causal mask), matching the reference's sparse token-embedding rows.
     */
    void backward(Cache c, float[] dOut, Arena arena, Gradients g) {
        int n = c.n, seq = c.seq, d = width;
        Gemm.tn(c.normed, 0, dOut, 0, g.of("text_projection", d, embedDim), 0, d, embedDim, n, true);
        float[] dNormed = arena.take(n * d);
        Gemm.nt(dOut, 0, textProjection, 0, null, dNormed, 0, n, d, embedDim, false);
        float[] dPooled = arena.take(n * d);
        Backprop.layerNorm(lnFinal, c.pooled, 0, dNormed, 0, dPooled, 0, n, false, g);
        float[] dx = arena.take(n * seq * d);
        for (int r = 0; r < n; r++) System.arraycopy(dPooled, r * d, dx, (r * seq + c.pool[r]) * d, d);
        transformer.backward(dx, n, seq, true, c.blocks, arena, g);
        float[] gPos = g.of("positional_embedding", contextLength, d), gTok = g.of("token_embedding.weight", vocab, d);
        for (int r = 0; r < n; r++) {
            int[] row = c.tokens[r];
            for (int t = 0; t < seq; t++) {
                int o = (r * seq + t) * d, id = t < row.length ? row[t] : 0;
                for (int i = 0; i < d; i++) {
                    gPos[t * d + i] += dx[o + i];
                    gTok[id * d + i] += dx[o + i];
                }
            }
        }
    }

    public int embedDim() { return embedDim; }

    public int contextLength() { return contextLength; }
}
