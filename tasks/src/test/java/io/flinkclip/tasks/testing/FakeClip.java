package io.flinkclip.tasks.testing;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipEncoder;
import io.flinkclip.model.ImagePreprocessing;
import io.flinkclip.model.TextTokenizer;
import io.flinkclip.model.image.ImageDecodeException;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TEST DOUBLE, not CLIP: a deterministic 4-d "model" that understands colours. Images embed as their mean
 * (R, G, B) plus a constant; texts embed by the colour words they contain (red/green/blue), plus a small
 * template-dependent component so prompt ensembling has something to average. The tokenizer maps chars to
 * ids so the encoder can read the text back.
 */
public final class FakeClip {
    public static final int RES = 4;
    public static final ClipConfig CONFIG = new ClipConfig(4, RES, new int[] {1}, 8, 2, 1, 77, 256, 8, 1, 1);
    public static final float LOGIT_SCALE = (float) Math.log(100);

    private FakeClip() {}

    public static final AtomicInteger TEXTS_ENCODED = new AtomicInteger();

    public static Clip create() {
        return new Clip(new Encoder(), new Tokenizer(), new Preprocessing());
    }

    public static byte[] png(int r, int g, int b) {
        BufferedImage im = new BufferedImage(6, 5, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 5; y++) for (int x = 0; x < 6; x++) im.setRGB(x, y, (r << 16) | (g << 8) | b);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(im, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static final class Tokenizer implements TextTokenizer {
        @Override
        public int[] tokenize(String text, int contextLength) {
            int[] t = new int[contextLength];
            for (int i = 0; i < Math.min(text.length(), contextLength); i++) t[i] = Math.min(255, text.charAt(i)) ;
            return t;
        }
    }

    static final class Preprocessing implements ImagePreprocessing {
        @Override
        public float[] preprocess(byte[] encoded, int resolution) {
            BufferedImage im;
            try {
                im = ImageIO.read(new ByteArrayInputStream(encoded));
            } catch (IOException e) {
                throw new ImageDecodeException("unreadable: " + e.getMessage());
            }
            if (im == null) throw new ImageDecodeException("not an image");
            float[] out = new float[3 * resolution * resolution];
            for (int y = 0; y < resolution; y++) {
                for (int x = 0; x < resolution; x++) {
                    int rgb = im.getRGB(x * im.getWidth() / resolution, y * im.getHeight() / resolution);
                    for (int c = 0; c < 3; c++) out[c * resolution * resolution + y * resolution + x] = ((rgb >> (16 - 8 * c)) & 255) / 255f;
                }
            }
            return out;
        }
    }

    static final class Encoder implements ClipEncoder {
        @Override
        public ClipConfig config() { return CONFIG; }

        @Override
        public float[][] encodeImages(float[] pixels, int n) {
            int per = 3 * RES * RES, plane = RES * RES;
            float[][] out = new float[n][4];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int p = 0; p < plane; p++) s += pixels[i * per + c * plane + p];
                    out[i][c] = (float) (s / plane);
                }
                out[i][3] = 0.05f;
            }
            return out;
        }

        @Override
        public float[][] encodeTexts(int[][] tokens) {
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                StringBuilder sb = new StringBuilder();
                for (int t : tokens[i]) if (t != 0) sb.append((char) t);
                String s = sb.toString();
                TEXTS_ENCODED.incrementAndGet();
                float noise = (Math.floorMod(s.length() * 31 + s.charAt(0), 7)) * 0.01f;
                out[i] = new float[] {s.contains("red") ? 1 : 0, s.contains("green") ? 1 : 0, s.contains("blue") ? 1 : 0, 0.05f + noise};
            }
            return out;
        }

        @Override
        public float logitScale() { return LOGIT_SCALE; }
    }
}
