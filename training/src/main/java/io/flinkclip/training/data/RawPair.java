package io.flinkclip.training.data;

/**
 * One image–text pair as read from a dataset, before decoding: either {@code encoded} image file bytes or an already
 * decoded {@code rgb} raster (width·height·3 bytes, row-major, from datasets stored raw such as IDX).
 * {@code index} is the pair's position in the global training order (epoch·size + position in the epoch's
 * shuffle), which fixes batch membership. A POJO so Flink serialises it without Kryo.
 */
public class RawPair {
    public long index;
    public byte[] encoded;
    public int width, height;
    public byte[] rgb;
    public String caption;
    /** Where it came from (file name or dataset index), for error messages. */
    public String origin;

    public RawPair() {}

    public static RawPair encoded(byte[] bytes, String caption, String origin) {
        RawPair p = new RawPair();
        p.encoded = bytes;
        p.caption = caption;
        p.origin = origin;
        return p;
    }

    public static RawPair raster(int width, int height, byte[] rgb, String caption, String origin) {
        RawPair p = new RawPair();
        p.width = width;
        p.height = height;
        p.rgb = rgb;
        p.caption = caption;
        p.origin = origin;
        return p;
    }
}
