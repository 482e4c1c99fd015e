package io.flinkclip.kernels;

/** Argument validation shared by the kernels: bad shapes fail fast with one clear message. */
final class Checks {
    private Checks() {}

    static void dims(String a, int va, String b, int vb) {
        if (va < 0 || vb < 0) throw new IllegalArgumentException("negative dimension: " + a + "=" + va + ", " + b + "=" + vb);
    }

    static void dims(String a, int va, String b, int vb, String c, int vc) {
        if (va < 0 || vb < 0 || vc < 0)
            throw new IllegalArgumentException("negative dimension: " + a + "=" + va + ", " + b + "=" + vb + ", " + c + "=" + vc);
    }

    /** Checks that arr[off, off+len) exists. */
    static void range(String name, float[] arr, int off, long len) {
        if (arr == null) throw new IllegalArgumentException(name + " is null");
        range(name, "floats", arr.length, off, len);
    }

    /** Checks that arr[off, off+len) exists. */
    static void range(String name, short[] arr, int off, long len) {
        if (arr == null) throw new IllegalArgumentException(name + " is null");
        range(name, "16-bit values", arr.length, off, len);
    }

    private static void range(String name, String what, int length, int off, long len) {
        if (off < 0 || off + len > length)
            throw new IllegalArgumentException(name + ": need " + len + " " + what + " from offset " + off + " but length is " + length);
    }
}
