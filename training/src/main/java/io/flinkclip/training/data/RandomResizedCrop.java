package io.flinkclip.training.data;

import java.util.SplittableRandom;

/**
 * torchvision's RandomResizedCrop on decoded RGB pixels: up to 10 tries of an area fraction in [minScale, maxScale]
 * and a log-uniform aspect ratio in [3/4, 4/3], falling back to the largest centred crop with the ratio clamped;
 * the crop is resized to R×R with bilinear interpolation (area-averaged when shrinking by more than 2×), then
 * normalised with CLIP's mean/std. Randomness comes from a per-record seed, so a replay reproduces every crop.
 */
public final class RandomResizedCrop {
    public static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** Crop box: top-left (x, y) and size (w, h) in source pixels. */
    public record Box(int x, int y, int w, int h) {}

    private RandomResizedCrop() {}

    /** open_clip's training default scale is (0.9, 1.0). */
    public static Box sample(int width, int height, double minScale, double maxScale, SplittableRandom r) {
        double area = (double) width * height;
        double logLo = Math.log(3.0 / 4), logHi = Math.log(4.0 / 3);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + (maxScale - minScale) * r.nextDouble());
            double ratio = Math.exp(logLo + (logHi - logLo) * r.nextDouble());
            int w = (int) Math.round(Math.sqrt(target * ratio)), h = (int) Math.round(Math.sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height) {
                return new Box(r.nextInt(width - w + 1), r.nextInt(height - h + 1), w, h);
            }
        }
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < 3.0 / 4) { w = width; h = (int) Math.round(w / (3.0 / 4)); }
        else if (inRatio > 4.0 / 3) { h = height; w = (int) Math.round(h * (4.0 / 3)); }
        else { w = width; h = height; }
        return new Box((width - w) / 2, (height - h) / 2, w, h);
    }

    /** The crop {@code box} of an interleaved RGB raster, resized to res×res, as normalised CHW floats. */
    public static float[] cropResizeNormalise(byte[] rgb, int width, int height, Box box, int res) {
        if (rgb.length != width * height * 3) throw new IllegalArgumentException("raster has " + rgb.length + " bytes, expected " + width + "×" + height + "×3");
        float[] out = new float[3 * res * res];
        double sx = (double) box.w() / res, sy = (double) box.h() / res;
        boolean average = sx > 2 || sy > 2;   // bilinear would alias: average the source footprint instead
        for (int y = 0; y < res; y++) {
            double fy = box.y() + (y + 0.5) * sy - 0.5;
            for (int x = 0; x < res; x++) {
                double fx = box.x() + (x + 0.5) * sx - 0.5;
                for (int c = 0; c < 3; c++) {
                    double v = !average ? bilinear(rgb, width, height, box, fx, fy, c) : boxAverage(rgb, width, height, box, fx, fy, sx, sy, c);
                    out[(c * res + y) * res + x] = (float) ((v / 255.0 - MEAN[c]) / STD[c]);
                }
            }
        }
        return out;
    }

    private static double px(byte[] rgb, int width, Box b, int x, int y, int c) {
        x = Math.clamp(x, b.x(), b.x() + b.w() - 1);
        y = Math.clamp(y, b.y(), b.y() + b.h() - 1);
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }

    private static double bilinear(byte[] rgb, int width, int height, Box b, double fx, double fy, int c) {
        int x0 = (int) Math.floor(fx), y0 = (int) Math.floor(fy);
        double ax = fx - x0, ay = fy - y0;
        double top = px(rgb, width, b, x0, y0, c) * (1 - ax) + px(rgb, width, b, x0 + 1, y0, c) * ax;
        double bot = px(rgb, width, b, x0, y0 + 1, c) * (1 - ax) + px(rgb, width, b, x0 + 1, y0 + 1, c) * ax;
        return top * (1 - ay) + bot * ay;
    }

    private static double boxAverage(byte[] rgb, int width, int height, Box b, double fx, double fy, double sx, double sy, int c) {
        int x0 = (int) Math.floor(fx + 0.5 - sx / 2), x1 = (int) Math.ceil(fx + 0.5 + sx / 2);
        int y0 = (int) Math.floor(fy + 0.5 - sy / 2), y1 = (int) Math.ceil(fy + 0.5 + sy / 2);
        double s = 0;
        int n = 0;
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) { s += px(rgb, width, b, x, y, c); n++; }
        return s / n;
    }
}
