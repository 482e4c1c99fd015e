package io.flinkclip.model;

import io.flinkclip.io.ClipConfig;

import java.util.List;

/**
 * A complete CLIP model: encoder, tokenizer and image preprocessing behind one object. This is the API the
 * tasks, the Flink operators and the CLI use. Embeddings returned here are unnormalised (as OpenAI's
 * {@code encode_image}/{@code encode_text}); use {@link #normalize(float[])} for cosine similarity.
 */
public final class Clip {
    private final ClipEncoder encoder;
    private final TextTokenizer tokenizer;
    private final ImagePreprocessing preprocessing;

    public Clip(ClipEncoder encoder, TextTokenizer tokenizer, ImagePreprocessing preprocessing) {
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.preprocessing = preprocessing;
    }

    public ClipEncoder encoder() { return encoder; }

    public TextTokenizer tokenizer() { return tokenizer; }

    public ImagePreprocessing preprocessing() { return preprocessing; }

    public ClipConfig config() { return encoder.config(); }

    public int embedDim() { return encoder.config().embedDim(); }

    /** exp(logit_scale), the temperature that scales cosine similarities into logits. */
    public float temperature() { return (float) Math.exp(encoder.logitScale()); }

    /** Preprocesses one encoded image; throws {@link io.flinkclip.model.image.ImageDecodeException} if it is bad. */
    public float[] pixels(byte[] encodedImage) {
        return preprocessing.preprocess(encodedImage, encoder.config().imageResolution());
    }

    public int[] tokens(String text) {
        return tokenizer.tokenize(text, encoder.config().contextLength());
    }

    /** Embeds already-preprocessed images (n × 3 × R × R, concatenated). */
    public float[][] embedPixels(List<float[]> pixels) {
        int per = 3 * encoder.config().imageResolution() * encoder.config().imageResolution();
        float[] batch = new float[pixels.size() * per];
        for (int i = 0; i < pixels.size(); i++) {
            float[] p = pixels.get(i);
            if (p.length != per) throw new IllegalArgumentException("image " + i + " has " + p.length + " values, expected " + per);
            System.arraycopy(p, 0, batch, i * per, per);
        }
        return encoder.encodeImages(batch, pixels.size());
    }

    public float[][] embedImages(List<byte[]> encodedImages) {
        return embedPixels(encodedImages.stream().map(this::pixels).toList());
    }

    public float[][] embedTexts(List<String> texts) {
        int[][] tokens = new int[texts.size()][];
        for (int i = 0; i < tokens.length; i++) tokens[i] = tokens(texts.get(i));
        return encoder.encodeTexts(tokens);
    }

    /** L2-normalised copy. */
    public static float[] normalize(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        float inv = (float) (1.0 / Math.max(Math.sqrt(s), 1e-12));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] * inv;
        return out;
    }
}
