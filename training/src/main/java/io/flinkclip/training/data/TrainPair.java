package io.flinkclip.training.data;

/**
 * A pair ready for the trainer: normalised CHW pixels and token ids. A pair whose image could not be decoded keeps
 * its index with {@code pixels == null} and a {@code skipReason}, so the trainer knows the index is settled and
 * batch formation stays deterministic.
 */
public class TrainPair {
    public long index;
    public float[] pixels;
    public int[] tokens;
    public String skipReason;

    public TrainPair() {}

    public TrainPair(long index, float[] pixels, int[] tokens) {
        this.index = index;
        this.pixels = pixels;
        this.tokens = tokens;
    }

    public static TrainPair skipped(long index, String reason) {
        TrainPair p = new TrainPair(index, null, null);
        p.skipReason = reason;
        return p;
    }

    public boolean isSkipped() { return pixels == null; }
}
