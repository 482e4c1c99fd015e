package io.flinkclip.kernels.backward;

/** Argument checks, so a wrong shape fails with one clear message instead of an index error inside a worker thread. */
final class Spans {
    private Spans() {}

    static void check(float[] buf, int off, long len, String what) {
        if (buf == null) throw new IllegalArgumentException(what + " is null");
        if (off < 0 || len < 0 || off + len > buf.length) {
            throw new IllegalArgumentException(what + ": needs " + len + " values from offset " + off + " but has " + buf.length);
        }
    }

    static void positive(String what, int... dims) {
        for (int d : dims) if (d <= 0) throw new IllegalArgumentException(what + ": dimensions must be positive, got " + java.util.Arrays.toString(dims));
    }
}
