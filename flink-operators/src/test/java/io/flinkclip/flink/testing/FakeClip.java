package io.flinkclip.flink.testing;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipEncoder;
import io.flinkclip.model.ImagePreprocessing;
import io.flinkclip.model.TextTokenizer;
import io.flinkclip.model.image.ImageDecodeException;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * TEST DOUBLE, not CLIP: a deterministic 3-dimensional "model" whose outcomes tests can predict exactly.
 * Image embedding = mean (R, G, B) of the decoded PNG; text embedding = sum over words of a unit colour axis
 * for "red"/"green"/"blue" plus a small hash-seeded vector for every other word. So a red image is
 * classified as "red" against {red, green, blue}, with any prompt template. Variant "swapped" exchanges the
 * red and blue image channels, so a model switch visibly changes results.
 */
public final class FakeClip {
    public static final int RESOLUTION = 4;
    public static final int CONTEXT = 16;
    static final int SOT = 49406, EOT = 49407;
    private static final String[] COLOURS = {"red", "green", "blue"};
    /** Names of the threads that ran the image encoder (lets tests see which code path ran inference). */
    public static final java.util.Set<String> IMAGE_THREADS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private FakeClip() {}

    public static Clip create(boolean swapped) {
        ClipConfig config = new ClipConfig(3, RESOLUTION, new int[] {1}, 8, 2, 1, CONTEXT, 49408, 8, 1, 1);
        return new Clip(new Encoder(config, swapped), FakeClip::tokenize, FakeClip::preprocess);
    }

    /** Decodes with ImageIO and samples RESOLUTION² pixels (nearest neighbour), CHW in [0, 1]. */
    static float[] preprocess(byte[] encoded, int resolution) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("cannot decode image: " + e.getMessage(), e);
        }
        if (img == null) throw new ImageDecodeException("not a supported image format");
        if (img.getWidth() < 2 || img.getHeight() < 2) {
            throw new ImageDecodeException("image too small: " + img.getWidth() + "x" + img.getHeight());
        }
        float[] out = new float[3 * resolution * resolution];
        int plane = resolution * resolution;
        for (int y = 0; y < resolution; y++) {
            for (int x = 0; x < resolution; x++) {
                int rgb = img.getRGB(x * img.getWidth() / resolution, y * img.getHeight() / resolution);
                int i = y * resolution + x;
                out[i] = ((rgb >> 16) & 255) / 255f;
                out[plane + i] = ((rgb >> 8) & 255) / 255f;
                out[2 * plane + i] = (rgb & 255) / 255f;
            }
        }
        return out;
    }

    /** Word ids: 1..3 for the colour words, 100 + hash for others; SOT … EOT, zero padded. */
    static int[] tokenize(String text, int contextLength) {
        List<Integer> ids = new ArrayList<>();
        ids.add(SOT);
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            if (w.isEmpty()) continue;
            int colour = List.of(COLOURS).indexOf(w);
            ids.add(colour >= 0 ? colour + 1 : 100 + Math.floorMod(w.hashCode(), 40000));
        }
        while (ids.size() > contextLength - 1) ids.remove(ids.size() - 1);
        ids.add(EOT);
        int[] out = new int[contextLength];
        for (int i = 0; i < ids.size(); i++) out[i] = ids.get(i);
        return out;
    }

    private record Encoder(ClipConfig config, boolean swapped) implements ClipEncoder {
        @Override
        public float[][] encodeImages(float[] pixels, int n) {
            IMAGE_THREADS.add(Thread.currentThread().getName());
            int plane = RESOLUTION * RESOLUTION;
            float[][] out = new float[n][3];
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int i = 0; i < plane; i++) s += pixels[b * 3 * plane + c * plane + i];
                    out[b][swapped ? 2 - c : c] = (float) (s / plane);
                }
            }
            return out;
        }

        @Override
        public float[][] encodeTexts(int[][] tokens) {
            float[][] out = new float[tokens.length][3];
            for (int t = 0; t < tokens.length; t++) {
                for (int id : tokens[t]) {
                    if (id == 0 || id == SOT || id == EOT) continue;
                    if (id <= 3) {
                        out[t][id - 1] += 1f;
                    } else {
                        Random r = new Random(id);
                        for (int k = 0; k < 3; k++) out[t][k] += 0.05f * (float) r.nextGaussian();
                    }
                }
            }
            return out;
        }

        @Override
        public float logitScale() { return (float) Math.log(100); }
    }
}
