package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OpsTest {
    private static final int[] LENGTHS = {0, 1, 5, 15, 16, 17, 64, 100, 768, 70_001};

    @Test
    void layerNormMatchesDoubleReference() {
        SplittableRandom rnd = new SplittableRandom(10);
        for (int dim : new int[] {1, 3, 16, 17, 64, 513, 768}) {
            for (int rows : new int[] {1, 3, 50, 77}) {
                int xOff = rnd.nextInt(4), yOff = rnd.nextInt(4);
                float[] x = Reference.random(rnd, xOff + rows * dim);
                // Offset rows by a large mean to catch one-pass variance cancellation.
                for (int i = 0; i < x.length; i++) x[i] = x[i] * 3 + 50;
                float[] g = Reference.random(rnd, dim), b = Reference.random(rnd, dim), y = new float[yOff + rows * dim + 2];
                Ops.layerNorm(x, xOff, g, b, y, yOff, rows, dim, 1e-5f);
                double[] want = new double[rows * dim];
                for (int r = 0; r < rows; r++) {
                    double mean = 0, var = 0;
                    for (int i = 0; i < dim; i++) mean += x[xOff + r * dim + i];
                    mean /= dim;
                    for (int i = 0; i < dim; i++) { double d = x[xOff + r * dim + i] - mean; var += d * d; }
                    var /= dim;
                    for (int i = 0; i < dim; i++)
                        want[r * dim + i] = (x[xOff + r * dim + i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
                }
                Reference.assertClose("layerNorm rows=" + rows + " dim=" + dim, want, y, yOff, 1, 2e-5);
                assertEquals(0f, y[yOff + rows * dim], "wrote past the rows");
            }
        }
    }

    @Test
    void quickGeluReluAndAddMatchReference() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n : LENGTHS) {
            int off = rnd.nextInt(3);
            float[] x = Reference.random(rnd, off + n + 2);
            for (int i = 0; i < x.length; i++) x[i] *= 12; // covers the saturated tails of the sigmoid
            float[] g = x.clone(), r = x.clone();
            Ops.quickGelu(g, off, n);
            Ops.relu(r, off, n);
            double[] wantG = new double[n], wantR = new double[n];
            for (int i = 0; i < n; i++) {
                wantG[i] = Reference.quickGelu(x[off + i]);
                wantR[i] = Math.max(0, x[off + i]);
            }
            Reference.assertClose("quickGelu n=" + n, wantG, g, off, 1e-3, 2e-6);
            Reference.assertClose("relu n=" + n, wantR, r, off, 0, 0);
            assertEquals(x[off + n], g[off + n], "quickGelu wrote past n");

            float[] y = Reference.random(rnd, n + 3), before = y.clone();
            Ops.addInPlace(y, 3, x, off, n);
            double[] wantA = new double[n];
            for (int i = 0; i < n; i++) wantA[i] = (double) before[3 + i] + x[off + i];
            Reference.assertClose("addInPlace n=" + n, wantA, y, 3, 0, 1e-7);
        }
    }

    @Test
    void softmaxRowsMatchesReference() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int cols : new int[] {1, 2, 15, 16, 33, 77, 1000}) {
            int rows = 1 + rnd.nextInt(40), off = rnd.nextInt(5);
            float[] x = Reference.random(rnd, off + rows * cols);
            for (int i = 0; i < x.length; i++) x[i] *= 30;
            float[] y = x.clone();
            Ops.softmaxRows(y, off, rows, cols);
            double[] want = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < cols; i++) max = Math.max(max, x[off + r * cols + i]);
                for (int i = 0; i < cols; i++) sum += Math.exp(x[off + r * cols + i] - max);
                for (int i = 0; i < cols; i++) want[r * cols + i] = Math.exp(x[off + r * cols + i] - max) / sum;
            }
            Reference.assertClose("softmax cols=" + cols, want, y, off, 1e-6, 1e-5);
        }
    }

    @Test
    void attentionMatchesReferenceWithAndWithoutMask() {
        SplittableRandom rnd = new SplittableRandom(13);
        int[][] shapes = {{1, 1, 4, 1}, {2, 7, 20, 4}, {3, 50, 128, 2}, {2, 77, 96, 2}, {1, 17, 51, 3}, {1, 33, 64, 1}, {1, 197, 128, 2}};
        for (int[] s : shapes) {
            for (boolean causal : new boolean[] {false, true}) {
                int batch = s[0], seq = s[1], dim = s[2], heads = s[3], qOff = rnd.nextInt(3), oOff = rnd.nextInt(3);
                float[] qkv = Reference.random(rnd, qOff + batch * seq * 3 * dim);
                for (int i = 0; i < qkv.length; i++) qkv[i] *= 3;
                float[] out = new float[oOff + batch * seq * dim];
                Ops.attention(qkv, qOff, out, oOff, batch, seq, dim, heads, causal);
                Reference.assertClose("attention " + java.util.Arrays.toString(s) + " causal=" + causal,
                        referenceAttention(qkv, qOff, batch, seq, dim, heads, causal), out, oOff, 1, 1e-5);
            }
        }
    }

    /**
     * An item's attention does not depend on its batch, and with the causal mask a token's output does not depend on
     * the tokens after it: bit for bit, so that an embedding is the same in any batch (GradCache relies on it) and
     * text encoding may stop at a batch's last end-of-text token.
     */
    @Test
    void attentionOfAnItemIsTheSameBitForBitInAnyBatchAndCausallyUnderAnyLongerSequence() {
        SplittableRandom rnd = new SplittableRandom(17);
        int[][] shapes = {{3, 50, 128, 2}, {2, 13, 96, 2}, {4, 33, 64, 1}};
        for (int[] s : shapes) {
            int batch = s[0], seq = s[1], dim = s[2], heads = s[3], item = seq * 3 * dim;
            float[] qkv = Reference.random(rnd, batch * item);
            for (boolean causal : new boolean[] {false, true}) {
                float[] all = new float[batch * seq * dim];
                Ops.attention(qkv, 0, all, 0, batch, seq, dim, heads, causal);
                for (int b = 0; b < batch; b++) {
                    float[] alone = new float[seq * dim];
                    Ops.attention(java.util.Arrays.copyOfRange(qkv, b * item, (b + 1) * item), 0, alone, 0, 1, seq, dim, heads, causal);
                    assertArrayEquals(java.util.Arrays.copyOfRange(all, b * seq * dim, (b + 1) * seq * dim), alone,
                            java.util.Arrays.toString(s) + " causal=" + causal + " item " + b);
                }
            }
            // The first `prefix` tokens of item 0 on their own: the same rows as inside the longer sequence.
            int prefix = seq / 2 + 1;
            float[] head = java.util.Arrays.copyOf(qkv, prefix * 3 * dim), full = new float[seq * dim], part = new float[prefix * dim];
            Ops.attention(qkv, 0, full, 0, 1, seq, dim, heads, true);
            Ops.attention(head, 0, part, 0, 1, prefix, dim, heads, true);
            assertArrayEquals(java.util.Arrays.copyOf(full, prefix * dim), part, java.util.Arrays.toString(s) + " causal prefix " + prefix);
        }
    }

    /** One query per item ({@link Ops#attentionRows}): that token's row of the full reference attention. */
    @Test
    void attentionOfOneRowPerItemMatchesThatRowOfTheFullAttention() {
        SplittableRandom rnd = new SplittableRandom(15);
        int[][] shapes = {{1, 1, 4, 1}, {3, 7, 20, 4}, {2, 50, 96, 6}, {4, 77, 64, 8}};
        for (int[] s : shapes) {
            int batch = s[0], seq = s[1], dim = s[2], heads = s[3];
            float[] qkv = Reference.random(rnd, batch * seq * 3 * dim);
            for (boolean causal : new boolean[] {false, true}) {
                int[] rows = new int[batch];
                for (int b = 0; b < batch; b++) rows[b] = rnd.nextInt(seq);
                float[] out = new float[batch * dim];
                Ops.attentionRows(qkv, out, batch, seq, dim, heads, causal, rows);
                double[] full = referenceAttention(qkv, 0, batch, seq, dim, heads, causal);
                double[] want = new double[batch * dim];
                for (int b = 0; b < batch; b++) System.arraycopy(full, (b * seq + rows[b]) * dim, want, b * dim, dim);
                Reference.assertClose("attention rows " + java.util.Arrays.toString(s) + " causal=" + causal, want, out, 0, 1, 1e-5);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Ops.attentionRows(new float[60], new float[10], 1, 2, 10, 2, false, new int[] {2}));
        assertThrows(IllegalArgumentException.class, () -> Ops.attentionRows(new float[60], new float[20], 2, 2, 10, 2, false, new int[] {0}));
    }

    @Test
    void badArgumentsFailClearly() {
        assertThrows(IllegalArgumentException.class, () -> Ops.attention(new float[30], 0, new float[10], 0, 1, 1, 10, 3, false));
        assertThrows(IllegalArgumentException.class, () -> Ops.layerNorm(new float[8], 0, new float[4], new float[4], new float[8], 0, 3, 4, 1e-5f));
        assertThrows(IllegalArgumentException.class, () -> Ops.addInPlace(new float[4], 0, new float[3], 0, 4));
        assertThrows(IllegalArgumentException.class, () -> Ops.softmaxRows(new float[4], 1, 2, 2));
    }

    static double[] referenceAttention(float[] qkv, int off, int batch, int seq, int dim, int heads, boolean causal) {
        int hd = dim / heads;
        double[] out = new double[batch * seq * dim];
        for (int b = 0; b < batch; b++) for (int h = 0; h < heads; h++) for (int t = 0; t < seq; t++) {
            int len = causal ? t + 1 : seq;
            double[] w = new double[len];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int s = 0; s < len; s++) {
                double dot = 0;
                for (int i = 0; i < hd; i++)
                    dot += (double) qkv[off + (b * seq + t) * 3 * dim + h * hd + i] * qkv[off + (b * seq + s) * 3 * dim + dim + h * hd + i];
                w[s] = dot / Math.sqrt(hd);
                max = Math.max(max, w[s]);
            }
            for (int s = 0; s < len; s++) { w[s] = Math.exp(w[s] - max); sum += w[s]; }
            for (int s = 0; s < len; s++) for (int i = 0; i < hd; i++)
                out[(b * seq + t) * dim + h * hd + i] += w[s] / sum * qkv[off + (b * seq + s) * 3 * dim + 2 * dim + h * hd + i];
        }
        return out;
    }
}
