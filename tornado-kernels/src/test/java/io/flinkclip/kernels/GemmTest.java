package io.flinkclip.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GemmTest {
    private static final int MR = MicroKernel.MR, NR = MicroKernel.NR;

    /** Shapes around the tile sizes (MR, NR, KC) plus tiny and CLIP-like ones. */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {MR, NR, 16}, {MR + 1, NR + 1, 17}, {MR - 1, NR - 1, 1},
            {13, 2 * NR + 5, MicroKernel.KC + 3}, {2 * MR, 33, 2 * MicroKernel.KC}, {77, 64, 50}, {50, 130, 64}, {97, 200, 300},
            {3, 100, 0}, {0, 5, 5}, {4, 0, 5},
            // Several ragged row and column blocks, walked in row order (4n < m) and in column order (4n ≥ m).
            {805, 167, 300}, {805, 420, 300},
            // Few rows: the next B micro-panel is streamed by the current panel's tiles, across panels, K slices
            // (the last one short) and a ragged last panel.
            {50, 3 * NR + 7, 2 * MicroKernel.KC + 40}, {30, 4 * NR, 3 * MicroKernel.KC},
            // One to three rows (ThinGemm): several K slices, a ragged last panel, a panel whose second vector is empty.
            {1, 2 * NR + 3, 2 * MicroKernel.KC + 9}, {2, 3 * NR + 20, MicroKernel.KC + 1}, {3, NR + 5, 3 * MicroKernel.KC},
    };

    @Test
    void ntMatchesReferenceWithBiasAccumulateAndOffsets() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int[] s : SHAPES) {
            for (boolean acc : new boolean[] {false, true}) {
                for (Epilogue act : Epilogue.values()) {
                    int m = s[0], n = s[1], k = s[2];
                    int aOff = rnd.nextInt(5), bOff = rnd.nextInt(5), cOff = rnd.nextInt(5);
                    float[] a = Reference.random(rnd, aOff + m * k + 3), b = Reference.random(rnd, bOff + n * k + 2);
                    float[] bias = rnd.nextBoolean() ? Reference.random(rnd, n) : null;
                    float[] c = Reference.random(rnd, cOff + m * n + 4), before = c.clone();
                    double[] want = Reference.gemm(a, aOff, false, b, bOff, true, m, n, k);
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        double v = want[i * n + j] + (bias == null ? 0 : bias[j]) + (acc ? before[cOff + i * n + j] : 0);
                        want[i * n + j] = switch (act) {
                            case NONE -> v;
                            case RELU -> Math.max(0, v);
                            case QUICK_GELU -> Reference.quickGelu(v);
                        };
                    }
                    Gemm.nt(a, aOff, b, bOff, bias, c, cOff, m, n, k, acc, act);
                    String what = "nt " + m + "x" + n + "x" + k + " acc=" + acc + " " + act;
                    Reference.assertClose(what, want, c, cOff, Math.sqrt(k + 1), 1e-5);
                    assertUntouched(what, before, c, cOff, m * n);

                    if (act == Epilogue.NONE && !acc) {
                        float[] c2 = before.clone();
                        PackedMatrix pb = PackedMatrix.fromRowsNK(b, bOff, n, k);
                        Gemm.packed(a, aOff, pb, bias, c2, cOff, m, false, Epilogue.NONE);
                        assertArrayEquals(c, c2, what + " packed differs from nt");
                    }
                }
            }
        }
    }

    @Test
    void nnAndTnMatchReference() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int[] s : SHAPES) {
            for (boolean acc : new boolean[] {false, true}) {
                int m = s[0], n = s[1], k = s[2];
                int aOff = rnd.nextInt(5), bOff = rnd.nextInt(5), cOff = rnd.nextInt(5);
                float[] a = Reference.random(rnd, aOff + m * k + 1), b = Reference.random(rnd, bOff + n * k + 1);
                float[] c = Reference.random(rnd, cOff + m * n + 2), before = c.clone();
                for (boolean transA : new boolean[] {false, true}) {
                    System.arraycopy(before, 0, c, 0, c.length);
                    double[] want = Reference.gemm(a, aOff, transA, b, bOff, false, m, n, k);
                    if (acc) for (int i = 0; i < m * n; i++) want[i] += before[cOff + i];
                    if (transA) Gemm.tn(a, aOff, b, bOff, c, cOff, m, n, k, acc);
                    else Gemm.nn(a, aOff, b, bOff, c, cOff, m, n, k, acc);
                    String what = (transA ? "tn " : "nn ") + m + "x" + n + "x" + k + " acc=" + acc;
                    Reference.assertClose(what, want, c, cOff, Math.sqrt(k + 1), 1e-5);
                    assertUntouched(what, before, c, cOff, m * n);
                }
            }
        }
    }

    @Test
    void randomShapesAllEntryPointsMatchReference() {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int trial = 0; trial < 40; trial++) {
            int m = 1 + rnd.nextInt(70), n = 1 + rnd.nextInt(90), k = 1 + rnd.nextInt(2 * MicroKernel.KC + 40);
            int aOff = rnd.nextInt(7), bOff = rnd.nextInt(7), cOff = rnd.nextInt(7);
            boolean acc = rnd.nextBoolean();
            int which = rnd.nextInt(4); // 0 nt, 1 nn, 2 tn, 3 packed
            float[] a = Reference.random(rnd, aOff + m * k), b = Reference.random(rnd, bOff + n * k);
            float[] bias = which == 0 || which == 3 ? Reference.random(rnd, n) : null;
            float[] c = Reference.random(rnd, cOff + m * n + 3), before = c.clone();
            double[] want = Reference.gemm(a, aOff, which == 2, b, bOff, which == 0 || which == 3, m, n, k);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++)
                want[i * n + j] += (bias == null ? 0 : bias[j]) + (acc ? before[cOff + i * n + j] : 0);
            switch (which) {
                case 0 -> Gemm.nt(a, aOff, b, bOff, bias, c, cOff, m, n, k, acc);
                case 1 -> Gemm.nn(a, aOff, b, bOff, c, cOff, m, n, k, acc);
                case 2 -> Gemm.tn(a, aOff, b, bOff, c, cOff, m, n, k, acc);
                default -> Gemm.packed(a, aOff, PackedMatrix.fromRowsNK(b, bOff, n, k), bias, c, cOff, m, acc, Epilogue.NONE);
            }
            String what = "trial " + trial + " kind " + which + " " + m + "x" + n + "x" + k + " acc=" + acc;
            Reference.assertClose(what, want, c, cOff, Math.sqrt(k + 1), 1e-5);
            assertUntouched(what, before, c, cOff, m * n);
        }
    }

    @Test
    void packedFromKnLayoutEqualsNn() {
        SplittableRandom rnd = new SplittableRandom(3);
        int m = 31, n = 2 * NR + 3, k = 45;
        float[] a = Reference.random(rnd, m * k), b = Reference.random(rnd, 2 + n * k);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        Gemm.nn(a, 0, b, 2, c1, 0, m, n, k, false);
        Gemm.packed(a, 0, PackedMatrix.fromRowsKN(b, 2, k, n), null, c2, 0, m, false, Epilogue.NONE);
        assertArrayEquals(c1, c2);
        assertEquals(n, PackedMatrix.fromRowsKN(b, 2, k, n).n());
    }

    @Test
    void largeParallelProductMatchesReference() {
        SplittableRandom rnd = new SplittableRandom(4);
        int m = 203, n = 390, k = 517;
        float[] a = Reference.random(rnd, m * k), b = Reference.random(rnd, n * k), c = new float[m * n];
        Gemm.nt(a, 0, b, 0, null, c, 0, m, n, k, false);
        Reference.assertClose("large nt", Reference.gemm(a, 0, false, b, 0, true, m, n, k), c, 0, Math.sqrt(k), 1e-5);
    }

    @Test
    void tallProductsArePackedInRowChunks() {
        SplittableRandom rnd = new SplittableRandom(5);
        int m = Sgemm.M_CHUNK + 2 * MR + 5, n = 20, k = 9;
        float[] a = Reference.random(rnd, m * k), b = Reference.random(rnd, n * k);
        float[] c = Reference.random(rnd, m * n), before = c.clone();
        Gemm.tn(a, 0, b, 0, c, 0, m, n, k, true);
        double[] want = Reference.gemm(a, 0, true, b, 0, false, m, n, k);
        for (int i = 0; i < m * n; i++) want[i] += before[i];
        Reference.assertClose("tall tn", want, c, 0, 3, 1e-5);
        Gemm.nt(a, 0, b, 0, null, c, 0, m, n, k, false);
        Reference.assertClose("tall nt", Reference.gemm(a, 0, false, b, 0, true, m, n, k), c, 0, 3, 1e-5);
    }

    @Test
    void badShapesFailClearly() {
        float[] a = new float[6], b = new float[6], c = new float[4];
        assertThrows(IllegalArgumentException.class, () -> Gemm.nt(a, 0, b, 0, null, c, 0, 2, 2, 4, false));
        assertThrows(IllegalArgumentException.class, () -> Gemm.nn(a, 0, b, 0, c, 0, -1, 2, 3, false));
        assertThrows(IllegalArgumentException.class, () -> Gemm.tn(a, 0, b, 0, c, 1, 2, 2, 3, false));
        assertThrows(IllegalArgumentException.class, () -> Gemm.nt(a, 0, b, 0, new float[1], c, 0, 2, 2, 3, false));
        assertThrows(IllegalArgumentException.class, () -> Gemm.packed(a, 0, null, null, c, 0, 2, false, Epilogue.NONE));
    }

    private static void assertUntouched(String what, float[] before, float[] c, int off, int len) {
        for (int i = 0; i < off; i++) assertEquals(before[i], c[i], what + ": wrote before offset");
        for (int i = off + len; i < c.length; i++) assertEquals(before[i], c[i], what + ": wrote past the end");
    }

    /**
     * A row's result does not depend on the other rows of the call (full tiles, 4-row edge parts, row blocks,
     * K slices): the same rows bit for bit whether multiplied alone or inside a larger batch, with and without
     * 16-bit weights. Embeddings must not change with the micro-batch a record lands in.
     */
    /** Tall products over long reductions with 16-bit weights walk rows (Sgemm.LONG_K): same values as the reference and as each row alone. */
    @Test
    void longReductionsWithSixteenBitWeightsMatchAndStayRowInvariant() {
        SplittableRandom rnd = new SplittableRandom(22);
        int m = 2 * 16 * MR + 17, n = 2 * NR + 9, k = 2048 + 5;
        float[] a = Reference.random(rnd, m * k), w = new float[n * k], bias = Reference.random(rnd, n);
        for (int i = 0; i < w.length; i++) w[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
        PackedMatrix b = PackedMatrix.fromRowsNK(w, 0, n, k).compact();
        float[] c = new float[m * n];
        Gemm.packed(a, 0, b, bias, c, 0, m, false, Epilogue.NONE);
        double[] want = Reference.gemm(a, 0, false, w, 0, true, m, n, k);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) want[i * n + j] += bias[j];
        Reference.assertClose("16-bit " + m + "x" + n + "x" + k, want, c, 0, Math.sqrt(k), 1e-5);
        for (int r0 : new int[] {0, 200, m - 1}) {
            float[] one = new float[n];
            Gemm.packed(a, r0 * k, b, bias, one, 0, 1, false, Epilogue.NONE);
            assertArrayEquals(java.util.Arrays.copyOfRange(c, r0 * n, (r0 + 1) * n), one, "row " + r0);
        }
    }

    @Test
    void rowsAreBitIdenticalWhateverTheBatchAroundThem() {
        SplittableRandom rnd = new SplittableRandom(21);
        int m = 64, n = 70, k = MicroKernel.KC + 37;
        float[] a = Reference.random(rnd, m * k), w = new float[n * k], bias = Reference.random(rnd, n);
        for (int i = 0; i < w.length; i++) w[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
        for (PackedMatrix b : new PackedMatrix[] {PackedMatrix.fromRowsNK(w, 0, n, k), PackedMatrix.fromRowsNK(w, 0, n, k).compact()}) {
            float[] all = new float[m * n];
            Gemm.packed(a, 0, b, bias, all, 0, m, false, Epilogue.QUICK_GELU);
            for (int[] part : new int[][] {{0, 1}, {5, 2}, {20, 3}, {13, 7}, {1, 12}, {3, 50}, {50, 14}, {2, 49}, {40, 13},
                    {7, 5}, {30, 8}, {9, 9}, {22, 11}, {4, 17}, {33, 20}}) { // rests of 5–11 rows: the 8-row tile
                int r0 = part[0], rows = part[1];
                float[] some = new float[rows * n];
                Gemm.packed(a, r0 * k, b, bias, some, 0, rows, false, Epilogue.QUICK_GELU);
                for (int i = 0; i < some.length; i++) {
                    if (Float.floatToRawIntBits(some[i]) != Float.floatToRawIntBits(all[r0 * n + i]))
                        throw new AssertionError(b.storage() + " rows " + r0 + ".." + (r0 + rows) + ": element " + i + " " + some[i] + " != " + all[r0 * n + i]);
                }
            }
        }
    }
}
