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
        if (off < 0 || off + len > arr.length)
            throw new IllegalArgumentException(name + ": need " + len + " floats from offset " + off + " but length is " + arr.length);
    }
}
