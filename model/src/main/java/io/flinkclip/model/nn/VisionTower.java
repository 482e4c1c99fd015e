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
}
