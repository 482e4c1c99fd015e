package io.flinkclip.model.nn;

/** An image encoder: NCHW pixels → projected, unnormalised image features [n, embedDim]. */
public interface VisionTower {
    /**
     * @param pixels n images, [n, 3, R, R]
     * @param trace  optional activation capture (null: none)
     * @return the features, [n, embedDim] row-major
     */
    float[] forward(float[] pixels, int n, Arena arena, Trace trace);

    int resolution();

    int embedDim();

    /**
     * Train-mode normalisation layers (BatchNorm with batch statistics) on or off; a no-op for towers without
     * BatchNorm. Off by default: inference and the reference gradients use eval mode.
     */
    default void setBatchStatistics(boolean on) {}
}
