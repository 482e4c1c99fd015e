package io.flinkclip.model.image;

import io.flinkclip.model.ImagePreprocessing;

import java.util.List;

/**
 * OpenAI CLIP's preprocessing, {@code Resize(R, BICUBIC) → CenterCrop(R) → convert("RGB") → ToTensor →
 * Normalize}, reproducing torchvision 0.14 on Pillow 9.4 byte for byte:
 * <ul>
 *   <li>Resize: the short side becomes R, the long side {@code int(R·long/short)}; nothing happens when the
 *   image already has that size. Palette and bilevel images resize with NEAREST, RGBA/LA premultiplied,
 *   everything else with Pillow's fixed-point antialiased bicubic ({@link BicubicResampler}).</li>
 *   <li>CenterCrop: offset {@code int(round((size − R)/2))} with half-to-even rounding; zero padding where the
 *   image is smaller (cannot happen after the resize, kept for fidelity).</li>
 *   <li>convert("RGB") after the crop, alpha dropped without compositing; then {@code (u8/255 − mean)/std} in
 *   float32, CHW.</li>
 * </ul>
 * Only the cropped window of the resized image is computed; each output pixel is independent, so the bytes are
 * those of resizing everything first. Stateless apart from the decoder's limit: thread-safe and serialisable
 * (a Flink function may hold one).
 */
public final class ImagePreprocessor implements ImagePreprocessing, java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** (v/255 − mean)/std for every byte value and channel, computed once in float32 like torch. */
    private static final float[][] NORMALISED = new float[3][256];

    static {
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) NORMALISED[c][v] = ((float) v / 255f - MEAN[c]) / STD[c];
        }
    }

    /** Longest resized side accepted; far beyond real photos, it keeps a 1×n strip from costing minutes. */
    static final int MAX_RESIZED_SIDE = 1 << 20;

    private final ImageDecoder decoder;

    /** OpenAI's per-channel mean (R, G, B), a copy. */
    public static float[] mean() { return MEAN.clone(); }

    /** OpenAI's per-channel standard deviation (R, G, B), a copy. */
    public static float[] std() { return STD.clone(); }

    public ImagePreprocessor() { this(new ImageDecoder()); }

    public ImagePreprocessor(ImageDecoder decoder) { this.decoder = decoder; }

    public ImageDecoder decoder() { return decoder; }

    @Override
    public float[] preprocess(byte[] encoded, int resolution) {
        checkResolution(resolution);
        return normalize(resizeAndCropU8(decoder.decode(encoded), resolution), resolution);
    }

    /** The same for an image decoded already. */
    public float[] preprocess(DecodedImage image, int resolution) {
        return normalize(resizeAndCropU8(image, resolution), resolution);
    }

    /** Preprocesses a batch into one n×3×R×R array; a bad image fails the batch naming its index. */
    public float[] preprocessBatch(List<byte[]> encoded, int resolution) {
        checkResolution(resolution);
        int per = 3 * resolution * resolution;
        float[] out = new float[Math.multiplyExact(encoded.size(), per)];
        for (int i = 0; i < encoded.size(); i++) {
            byte[] u8;
            try {
                u8 = resizeAndCropU8(decoder.decode(encoded.get(i)), resolution);
            } catch (ImageDecodeException e) {
                throw new ImageDecodeException("image " + i + " of the batch: " + e.getMessage(), e);
            }
            normalize(u8, resolution, out, i * per);
        }
        return out;
    }

    /** Normalised CHW float32 pixels from HWC RGB bytes of an R×R image. */
    public static float[] normalize(byte[] hwc, int resolution) {
        float[] out = new float[3 * resolution * resolution];
        normalize(hwc, resolution, out, 0);
        return out;
    }

    public static void normalize(byte[] hwc, int resolution, float[] out, int offset) {
        int n = resolution * resolution;
        if (hwc.length != 3 * n) throw new IllegalArgumentException("expected " + 3 * n + " bytes, got " + hwc.length);
        for (int c = 0; c < 3; c++) {
            float[] lut = NORMALISED[c];
            int o = offset + c * n;
            for (int i = 0; i < n; i++) out[o + i] = lut[hwc[3 * i + c] & 255];
        }
    }

    /** The size torchvision's Resize(R) gives a w×h image: {newW, newH}. */
    public static int[] resizedSize(int w, int h, int resolution) {
        int shortSide = Math.min(w, h), longSide = Math.max(w, h);
        double newLongExact = (double) ((long) resolution * longSide) / shortSide;
        if (newLongExact > MAX_RESIZED_SIDE) {
            throw new ImageDecodeException("image " + w + "x" + h + " has an extreme aspect ratio: resizing to "
                    + resolution + " would make it " + (long) newLongExact + " pixels long");
        }
        int newLong = (int) newLongExact;
        return w <= h ? new int[] {resolution, newLong} : new int[] {newLong, resolution};
    }

    /**
     * torchvision's centre-crop placement along one axis of length {@code size}: output position i shows input
     * position i + shift; positions outside the input are the zero padding.
     */
    static int cropShift(int size, int resolution) {
        if (resolution > size) return -((resolution - size) / 2);
        return (int) Math.rint((size - resolution) / 2.0);
    }

    /** Resize, centre crop and convert("RGB"): the R×R×3 bytes (HWC) that ToTensor sees. */
    public byte[] resizeAndCropU8(DecodedImage img, int resolution) {
        checkResolution(resolution);
        int w = img.width(), h = img.height();
        int[] size = resizedSize(w, h, resolution);
        int rw = size[0], rh = size[1];
        int sx = cropShift(rw, resolution), sy = cropShift(rh, resolution);
        // Output window [ox0, ox1) × [oy0, oy1) that shows resized pixels; the rest is padding.
        int ox0 = Math.max(0, -sx), ox1 = Math.min(resolution, rw - sx);
        int oy0 = Math.max(0, -sy), oy1 = Math.min(resolution, rh - sy);
        int cw = ox1 - ox0, ch = oy1 - oy0;
        int wx = ox0 + sx, wy = oy0 + sy; // window origin in the resized image
        boolean noop = rw == w && rh == h;
        PixelMode mode = img.mode();
        if (mode == PixelMode.I16) {
            int[] values = toInts(img.pixels());
            int[] win = noop ? window(values, w, wx, wy, cw, ch)
                    : BicubicResampler.resize32(values, w, h, rw, rh, wx, wy, cw, ch);
            int[] full = new int[resolution * resolution];
            for (int y = 0; y < ch; y++) System.arraycopy(win, y * cw, full, (oy0 + y) * resolution + ox0, cw);
            return ModeConversions.intToRgb(full);
        }
        int bpp = mode.bytesPerPixel();
        byte[] win;
        if (noop) {
            win = window(img.pixels(), w, bpp, wx, wy, cw, ch);
        } else if (mode.resizesNearest()) {
            win = NearestResampler.resize(img.pixels(), w, h, rw, rh, wx, wy, cw, ch);
        } else if (mode.hasAlpha()) {
            win = BicubicResampler.resize8(ModeConversions.premultiply(img.pixels(), bpp), w, h, bpp, rw, rh, wx, wy, cw, ch);
            ModeConversions.unpremultiply(win, bpp);
        } else {
            win = BicubicResampler.resize8(img.pixels(), w, h, bpp, rw, rh, wx, wy, cw, ch);
        }
        byte[] full = win;
        if (cw != resolution || ch != resolution) {
            full = new byte[resolution * resolution * bpp];
            for (int y = 0; y < ch; y++) {
                System.arraycopy(win, y * cw * bpp, full, ((oy0 + y) * resolution + ox0) * bpp, cw * bpp);
            }
        }
        return ModeConversions.toRgb(mode, full, img.palette(), resolution * resolution);
    }

    private static byte[] window(byte[] px, int w, int bpp, int x0, int y0, int cw, int ch) {
        byte[] out = new byte[cw * ch * bpp];
        for (int y = 0; y < ch; y++) System.arraycopy(px, ((y0 + y) * w + x0) * bpp, out, y * cw * bpp, cw * bpp);
        return out;
    }

    private static int[] window(int[] px, int w, int x0, int y0, int cw, int ch) {
        int[] out = new int[cw * ch];
        for (int y = 0; y < ch; y++) System.arraycopy(px, (y0 + y) * w + x0, out, y * cw, cw);
        return out;
    }

    private static int[] toInts(byte[] be16) {
        int[] v = new int[be16.length / 2];
        for (int i = 0; i < v.length; i++) v[i] = ((be16[2 * i] & 255) << 8) | (be16[2 * i + 1] & 255);
        return v;
    }

    private static void checkResolution(int resolution) {
        if (resolution <= 0 || resolution > 16384) throw new IllegalArgumentException("bad resolution " + resolution);
    }
}
