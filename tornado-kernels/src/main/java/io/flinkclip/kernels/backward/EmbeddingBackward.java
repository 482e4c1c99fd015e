package io.flinkclip.kernels.backward;

import java.util.BitSet;

/** Backward of the token-embedding gather and of added (positional / class) embeddings. */
public final class EmbeddingBackward {
    private EmbeddingBackward() {}

    /**
     * dTable[tokens[r], :] += dOut[r, :] for the {@code tokens.length} gathered rows; returns the set of touched
     * table rows (all other rows of the gradient stay exactly zero, so callers may treat it as sparse).
     */
    public static BitSet gather(int[] tokens, float[] dOut, int dOutOff, float[] dTable, int vocab, int width) {
        BitSet touched = new BitSet(vocab);
        for (int r = 0; r < tokens.length; r++) {
            int t = tokens[r];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside vocabulary of " + vocab);
            touched.set(t);
            int o = dOutOff + r * width, d = t * width;
            for (int i = 0; i < width; i++) dTable[d + i] += dOut[o + i];
        }
        return touched;
    }

    /** x[b, t, :] += pos[t, :] for each of batch rows ⇒ dPos[t, :] += Σ_b dx[b, t, :]. */
    public static void broadcastAdd(float[] dOut, int dOutOff, int batch, int seq, int width, float[] dPos, int dPosOff) {
        int per = seq * width;
        double[] s = new double[per];
        for (int b = 0; b < batch; b++) for (int i = 0; i < per; i++) s[i] += dOut[dOutOff + b * per + i];
        for (int i = 0; i < per; i++) dPos[dPosOff + i] += (float) s[i];
    }
}
