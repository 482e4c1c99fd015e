package io.flinkclip.model;

import io.flinkclip.io.ClipConfig;

/** The two CLIP towers over preprocessed inputs. Outputs are the projected, <b>unnormalised</b> features. */
public interface ClipEncoder {
    ClipConfig config();

    /** @param pixels n images, NCHW float32 at {@code config().imageResolution()}, already normalised */
    float[][] encodeImages(float[] pixels, int n);

    /** @param tokens one row per text: SOT … EOT, padded with 0 or unpadded (at most context length) */
    float[][] encodeTexts(int[][] tokens);

    /** The learned log temperature; logits are exp(logitScale) · cos. */
    float logitScale();
}
