package io.flinkclip.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link EmbeddingRows}: 16 bits only when every value survives the round trip, and then the same rows. */
class EmbeddingRowsTest {
    private static final int ROWS = 300, WIDTH = 48;

    private static float[] halfGrid(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[ROWS * WIDTH];
        for (int i = 0; i < w.length; i++) w[i] = Float.float16ToFloat(Float.floatToFloat16((float) (0.02 * rnd.nextGaussian())));
        w[7] = -0.0f;             // signed zero and a subnormal half keep their bits
        w[8] = Float.float16ToFloat((short) 0x0001);
        return w;
    }

    @Test
    void halfExactTablesAreHeldIn16BitsAndGiveTheSameRows() {
        float[] w = halfGrid(3);
        EmbeddingRows rows = EmbeddingRows.of(w, ROWS, WIDTH, true);
        assertEquals(2L * ROWS * WIDTH, rows.bytes());
        float[] got = new float[WIDTH + 5];
        for (int r : new int[] {0, 1, ROWS / 2, ROWS - 1}) {
            rows.copyRow(r, got, 5);
            float[] want = Arrays.copyOfRange(w, r * WIDTH, (r + 1) * WIDTH);
            for (int c = 0; c < WIDTH; c++) {
                assertEquals(Float.floatToRawIntBits(want[c]), Float.floatToRawIntBits(got[5 + c]), "row " + r + " column " + c);
            }
        }
    }

    /** bfloat16 values outside fp16's range (a bf16 checkpoint): held in 16 bits as bfloat16, the same rows back. */
    @Test
    void bfloat16ExactTablesAreHeldIn16BitsToo() {
        SplittableRandom rnd = new SplittableRandom(6);
        float[] w = new float[ROWS * WIDTH];
        for (int i = 0; i < w.length; i++) w[i] = Float.intBitsToFloat(Float.floatToRawIntBits((float) (0.02 * rnd.nextGaussian())) & 0xFFFF0000);
        w[3] = 0x1p-100f; // not a half: F16 fails, BF16 holds it
        w[4] = -0.0f;
        EmbeddingRows rows = EmbeddingRows.of(w, ROWS, WIDTH, true);
        assertEquals(2L * ROWS * WIDTH, rows.bytes());
        float[] got = new float[WIDTH];
        for (int r : new int[] {0, ROWS - 1}) {
            rows.copyRow(r, got, 0);
            float[] want = Arrays.copyOfRange(w, r * WIDTH, (r + 1) * WIDTH);
            for (int c = 0; c < WIDTH; c++) assertEquals(Float.floatToRawIntBits(want[c]), Float.floatToRawIntBits(got[c]), "row " + r + " column " + c);
        }
    }

    @Test
    void oneValueOffTheHalfGridKeepsFp32AndTrainingAlwaysDoes() {
        float[] w = halfGrid(4);
        w[w.length - 1] = Math.nextUp(w[w.length - 1]); // neither a half nor a bfloat16
        EmbeddingRows inexact = EmbeddingRows.of(w, ROWS, WIDTH, true);
        assertEquals(4L * ROWS * WIDTH, inexact.bytes());
        EmbeddingRows training = EmbeddingRows.of(halfGrid(5), ROWS, WIDTH, false);
        assertEquals(4L * ROWS * WIDTH, training.bytes());
        float[] got = new float[WIDTH];
        inexact.copyRow(ROWS - 1, got, 0);
        assertArrayEquals(Arrays.copyOfRange(w, (ROWS - 1) * WIDTH, ROWS * WIDTH), got);
    }
}
