package io.flinkclip.model;

/** Encoded image bytes → normalised CHW float32 pixels at a square resolution (OpenAI's preprocessing). */
public interface ImagePreprocessing {
    /** @throws io.flinkclip.model.image.ImageDecodeException when the bytes are not a decodable, sane image */
    float[] preprocess(byte[] encoded, int resolution);
}
