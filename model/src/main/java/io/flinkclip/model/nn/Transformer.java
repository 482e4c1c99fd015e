package io.flinkclip.model.nn;

/** A stack of {@link ResidualAttentionBlock}s named {@code <prefix>.resblocks.i}, over batch-first tokens. */
public final class Transformer {
    public final String name;
    public final int width, heads;
    final ResidualAttentionBlock[] blocks;

    Transformer(Params p, String name, int width, int layers, int heads) {
        this.name = name;
        this.width = width;
        this.heads = heads;
        blocks = new ResidualAttentionBlock[layers];
        for (int i = 0; i < layers; i++) blocks[i] = new ResidualAttentionBlock(p, name + ".resblocks." + i, width, heads);
    }

    /**
     * In place on x [batch, seq, width]. With {@code keep} every block gets its own saved activations (returned,
     * for the backward pass); otherwise all blocks share one set of scratch buffers and null is returned.
     */
    ResidualAttentionBlock.Acts[] forward(float[] x, int batch, int seq, boolean causal, Arena arena, Trace trace, boolean keep) {
        return forward(x, batch, seq, causal, arena, trace, keep, null);
    }

    /**
     * As {@link #forward(float[], int, int, boolean, Arena, Trace, boolean)}; with {@code readRows} (and neither
     * a trace nor kept activations) the caller reads only token readRows[b] of each item, so the last block computes
     * only those rows ({@link ResidualAttentionBlock#forwardRows}) and the other rows of x are left stale.
     */
    ResidualAttentionBlock.Acts[] forward(float[] x, int batch, int seq, boolean causal, Arena arena, Trace trace, boolean keep,
                                          int[] readRows) {
        int rows = batch * seq;
        ResidualAttentionBlock.Acts[] saved = keep ? new ResidualAttentionBlock.Acts[blocks.length] : null;
        ResidualAttentionBlock.Acts shared = keep ? null : new ResidualAttentionBlock.Acts(arena, rows, width, false);
        for (int i = 0; i < blocks.length; i++) {
            ResidualAttentionBlock.Acts a = keep ? (saved[i] = new ResidualAttentionBlock.Acts(arena, rows, width, true)) : shared;
            if (readRows != null && !keep && trace == null && i == blocks.length - 1) {
                blocks[i].forwardRows(x, batch, seq, causal, a, readRows);
                break;
            }
            blocks[i].forward(x, batch, seq, causal, a);
            if (trace != null) trace.put(blocks[i].name, x, 0, batch, seq, width);
        }
        return saved;
    }

    /** Backward through all blocks, in place on dx [batch, seq, width], using the activations forward kept. */
    void backward(float[] dx, int batch, int seq, boolean causal, ResidualAttentionBlock.Acts[] saved, Arena arena, Gradients g) {
        for (int i = blocks.length - 1; i >= 0; i--) blocks[i].backward(dx, batch, seq, causal, saved[i], arena, g);
    }
}
