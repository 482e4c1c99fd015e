package io.flinkclip.model.image;

/**
 * Pillow 9.4's NEAREST resize of a one-byte-per-pixel image (ImagingScaleAffine): the source coordinate
 * starts at half a step and is advanced by repeated addition of the step, exactly as Pillow accumulates it,
 * then truncated. Used for palette and bilevel images, which Pillow never resizes with a smoothing filter.
 */
final class NearestResampler {
    private NearestResampler() {}

    /**
     * Source index of the output positions [first, first + count) along one axis (-1 where it falls outside
     * the input). The position is accumulated from 0 as Pillow does, so rounding matches.
     */
    static int[] sourceIndices(int inSize, int outSize, int first, int count) {
        double step = (double) inSize / outSize;
        double pos = 0.0 + step * 0.5;
        int[] idx = new int[count];
        for (int i = 0; i < first + count; i++) {
            if (i >= first) {
                int s = pos < 0.0 ? -1 : (int) pos;
                idx[i - first] = s < inSize ? s : -1;
            }
            pos += step;
        }
        return idx;
    }

    /** Window [x0, x0+cw) × [y0, y0+rh) of the w×h → outW×outH NEAREST resize of a 1-byte-per-pixel image. */
    static byte[] resize(byte[] src, int w, int h, int outW, int outH, int x0, int y0, int cw, int rh) {
        int[] xs = sourceIndices(w, outW, x0, cw);
        int[] ys = sourceIndices(h, outH, y0, rh);
        byte[] out = new byte[cw * rh];
        for (int y = 0; y < rh; y++) {
            int sy = ys[y];
            if (sy < 0) continue; // Pillow fills such rows with 0
            int rowBase = sy * w;
            for (int x = 0; x < cw; x++) {
                int sx = xs[x];
                if (sx >= 0) out[y * cw + x] = src[rowBase + sx];
            }
        }
        return out;
    }
}
