package io.flinkclip.model.device;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.DeviceBuffer;

/** Checks and packing of the inputs the device passes upload (the same contract as the CPU model). */
final class Inputs {
    private Inputs() {}

    /** The pixel count only: NaN and infinities are found on the device ({@code Device#flagNonFinite}) after the upload. */
    static void checkPixelCount(ClipConfig config, float[] pixels, int n) {
        int r = config.imageResolution(), per = 3 * r * r;
        if (pixels == null || n < 0 || pixels.length != (long) n * per) {
            throw new IllegalArgumentException("expected " + n + " images of 3×" + r + "×" + r + " = " + ((long) n * per)
                    + " floats, got " + (pixels == null ? "null" : pixels.length));
        }
    }

    /**
     * Enqueues the device-side check of {@code count} uploaded pixels at {@code pixelsOff} of {@code a}: element
     * {@code flagAt} becomes 1 if any is NaN or infinite. Read it with {@link #checkFlag} once the pass has run.
     */
    static void flagPixels(Device d, DeviceBuffer a, int pixelsOff, int count, int flagAt) {
        d.fill(1, 0f, a, flagAt);
        d.flagNonFinite(count, a, pixelsOff, a, flagAt);
    }

    /** Throws the error naming the first bad pixel at or after {@code from} when {@link #flagPixels} found one. */
    static void checkFlag(Device d, DeviceBuffer a, int flagAt, ClipConfig config, float[] pixels, int from) {
        float[] flag = new float[1];
        d.download(a, flagAt, flag, 0, 1);
        if (flag[0] != 0f) throw nonFinitePixel(config, pixels, from);
    }

    /** The error for the first NaN or infinite pixel at or after {@code from} (the caller knows there is one). */
    private static IllegalArgumentException nonFinitePixel(ClipConfig config, float[] pixels, int from) {
        int per = 3 * config.imageResolution() * config.imageResolution(), i = from;
        while (i < pixels.length - 1 && Float.isFinite(pixels[i])) i++;
        return new IllegalArgumentException("pixel value " + pixels[i] + " at flat index " + i + " (image " + i / per + ")");
    }

    /** Every row holds 1..contextLength ids, each a vocabulary index (the device gathers without bounds checks). */
    static void checkTokens(ClipConfig config, int[][] tokens) {
        if (tokens == null) throw new IllegalArgumentException("tokens are null");
        int ctx = config.contextLength(), vocab = config.vocabSize();
        for (int r = 0; r < tokens.length; r++) {
            int[] row = tokens[r];
            if (row == null || row.length == 0 || row.length > ctx) {
                throw new IllegalArgumentException("token row " + r + " has " + (row == null ? "no" : row.length) + " ids, expected 1.." + ctx);
            }
            for (int i = 0; i < row.length; i++) {
                if (row[i] < 0 || row[i] >= vocab) {
                    throw new IllegalArgumentException("token row " + r + " holds id " + row[i] + " at " + i + ", outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
    }

    /**
     * Rows [start, start + m) cut to the batch's sequence length: the last pooled position + 1 (exact padding skip).
     * ids and pooled row indexes are int bit patterns in float arrays, since {@code Device.write} moves 4-byte data.
     */
    record TokenBatch(int seq, float[] ids, float[] poolRows) {
        static TokenBatch of(int[][] tokens, int start, int m) {
            int[] pool = new int[m];
            int seq = 1;
            for (int i = 0; i < m; i++) {
                pool[i] = poolPosition(tokens[start + i]);
                seq = Math.max(seq, pool[i] + 1);
            }
            float[] ids = new float[m * seq], rows = new float[m];
            for (int i = 0; i < m; i++) {
                int[] row = tokens[start + i];
                for (int t = 0; t < seq; t++) ids[i * seq + t] = Float.intBitsToFloat(t < row.length ? row[t] : 0); // reference pads with 0
                rows[i] = Float.intBitsToFloat(i * seq + pool[i]);
            }
            return new TokenBatch(seq, ids, rows);
        }
    }

    /** OpenAI pools at tokens.argmax(-1): the first position of the row's largest id (the first EOT). */
    static int poolPosition(int[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
