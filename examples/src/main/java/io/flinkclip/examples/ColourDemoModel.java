package io.flinkclip.examples;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipEncoder;
import io.flinkclip.model.image.ImageDecodeException;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * STAND-IN, NOT CLIP: a 3-dimensional colour "model" generated in process so the demo runs with no download
 * (image embedding = mean RGB; text embedding = colour axes of the words red/green/blue). It exercises the
 * whole Flink pipeline; {@link ClipDemoJob#DEMO_MODEL_SUPPLIER} is the one place to switch the demo to the
 * bundled tiny real CLIP model once it exists.
 */
public final class ColourDemoModel implements Supplier<Clip> {
    private static final int RES = 8, CTX = 16, SOT = 49406, EOT = 49407;
    private static final List<String> COLOURS = List.of("red", "green", "blue");

    @Override
    public Clip get() {
        ClipConfig config = new ClipConfig(3, RES, new int[] {1}, 8, 2, 1, CTX, 49408, 8, 1, 1);
        return new Clip(new Encoder(config), ColourDemoModel::tokenize, ColourDemoModel::preprocess);
    }

    static float[] preprocess(byte[] encoded, int res) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("cannot decode image: " + e.getMessage(), e);
        }
        if (img == null) throw new ImageDecodeException("not a supported image format");
        float[] out = new float[3 * res * res];
        int plane = res * res;
        for (int y = 0; y < res; y++) {
            for (int x = 0; x < res; x++) {
                int rgb = img.getRGB(x * img.getWidth() / res, y * img.getHeight() / res);
                out[y * res + x] = ((rgb >> 16) & 255) / 255f;
                out[plane + y * res + x] = ((rgb >> 8) & 255) / 255f;
                out[2 * plane + y * res + x] = (rgb & 255) / 255f;
            }
        }
        return out;
    }

    static int[] tokenize(String text, int ctx) {
        List<Integer> ids = new ArrayList<>(List.of(SOT));
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
            int c = COLOURS.indexOf(w);
            if (c >= 0 && ids.size() < ctx - 1) ids.add(c + 1);
        }
        ids.add(EOT);
        int[] out = new int[ctx];
        for (int i = 0; i < ids.size(); i++) out[i] = ids.get(i);
        return out;
    }

    private record Encoder(ClipConfig config) implements ClipEncoder {
        @Override
        public float[][] encodeImages(float[] pixels, int n) {
            int plane = RES * RES;
            float[][] out = new float[n][3];
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int i = 0; i < plane; i++) s += pixels[(b * 3 + c) * plane + i];
                    out[b][c] = (float) (s / plane);
                }
            }
            return out;
        }

        @Override
        public float[][] encodeTexts(int[][] tokens) {
            float[][] out = new float[tokens.length][3];
            for (int t = 0; t < tokens.length; t++) {
                for (int id : tokens[t]) if (id >= 1 && id <= 3) out[t][id - 1] += 1;
                if (out[t][0] == 0 && out[t][1] == 0 && out[t][2] == 0) java.util.Arrays.fill(out[t], 1e-3f);
            }
            return out;
        }

        @Override
        public float logitScale() { return (float) Math.log(100); }
    }
}
