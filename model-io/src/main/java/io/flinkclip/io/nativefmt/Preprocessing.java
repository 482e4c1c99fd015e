package io.flinkclip.io.nativefmt;

import io.flinkclip.io.ClipFormatException;

/** Image preprocessing a model expects: resize/centre-crop to {@code resolution}, then (x/255 − mean)/std. */
public record Preprocessing(int resolution, float[] mean, float[] std, Interpolation interpolation) {
    public enum Interpolation { BICUBIC, BILINEAR, NEAREST }

    public static final float[] OPENAI_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] OPENAI_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    public Preprocessing {
        if (resolution <= 0) throw new ClipFormatException("preprocessing resolution must be positive, got " + resolution);
        if (mean == null || std == null || mean.length != 3 || std.length != 3)
            throw new ClipFormatException("preprocessing needs 3 means and 3 stds (RGB)");
        for (float s : std) if (!(s > 0) || !Float.isFinite(s)) throw new ClipFormatException("preprocessing std must be positive and finite");
        for (float m : mean) if (!Float.isFinite(m)) throw new ClipFormatException("preprocessing mean must be finite");
        mean = mean.clone();
        std = std.clone();
    }

    /** OpenAI's: bicubic resize, centre crop, ImageNet-like CLIP mean/std. */
    public static Preprocessing openAi(int resolution) {
        return new Preprocessing(resolution, OPENAI_MEAN, OPENAI_STD, Interpolation.BICUBIC);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && p.resolution == resolution && java.util.Arrays.equals(p.mean, mean)
                && java.util.Arrays.equals(p.std, std) && p.interpolation == interpolation;
    }

    @Override
    public int hashCode() { return resolution * 31 + interpolation.hashCode(); }
}
