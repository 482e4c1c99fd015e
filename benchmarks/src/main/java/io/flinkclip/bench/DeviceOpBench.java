package io.flinkclip.bench;

import io.flinkclip.kernels.device.CudaDevice;
import io.flinkclip.kernels.device.DeviceBuffer;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times single device operations at ViT-B/32 shapes (batch 256: 12 800 token rows of width 768) on a CUDA GPU:
 * attention (image tokens, and causal 77-token texts at batch 128), the row-vector and LayerNorm passes, and the
 * staged upload of a batch of pixels with 1, 4 and 8 filling threads. Median of 30 synchronised calls after warm-up.
 * <pre>DeviceOpBench [--ordinal 0]</pre>
 */
public final class DeviceOpBench {
    public static void main(String[] args) {
        int ordinal = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ordinal" -> ordinal = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int width = 768, heads = 12, images = 256, tokens = 50, texts = 128, ctx = 77;
        int rows = images * tokens;
        try (CudaDevice d = CudaDevice.open(ordinal, "tf32")) {
            System.out.println("device: " + d.describe());
            DeviceBuffer qkv = d.upload(random(rows * 3 * width, 1)), out = d.allocate((long) rows * width);
            DeviceBuffer tqkv = d.upload(random(texts * ctx * 3 * width, 2)), tout = d.allocate((long) texts * ctx * width);
            DeviceBuffer hidden = d.upload(random(rows * 4 * width, 3)), bias = d.upload(random(4 * width, 4)); // in_proj uses its first 3·width
            DeviceBuffer g = d.upload(random(width, 5)), b = d.upload(random(width, 6)), x = d.upload(random(rows * width, 7));
            report("attention: images " + images + "x" + tokens, time(d, () -> d.attention(images, tokens, width, heads, false, qkv, 0, out, 0)),
                    (2.0 * rows * 3 * width + rows * width) * 4);
            report("attention: causal texts " + texts + "x" + ctx, time(d, () -> d.attention(texts, ctx, width, heads, true, tqkv, 0, tout, 0)),
                    (2.0 * texts * ctx * 3 * width + texts * ctx * width) * 4);
            report("attention + in_proj bias: images", time(d, () -> d.attention(images, tokens, width, heads, false, qkv, 0, bias, out, 0)),
                    (2.0 * rows * 3 * width + rows * width) * 4);
            report("add_row_vector (in_proj bias)", time(d, () -> d.addRowVector(rows, 3 * width, qkv, 0, bias, 0)), 2.0 * rows * 3 * width * 4);
            report("bias_quick_gelu (c_fc)", time(d, () -> d.biasQuickGelu(rows, 4 * width, hidden, 0, bias)), 2.0 * rows * 4 * width * 4);
            report("layer_norm", time(d, () -> d.layerNorm(rows, width, x, 0, g, b, out, 0, 1e-5f, null)), 2.0 * rows * width * 4);
            report("layer_norm after bias", time(d, () -> d.layerNormAfterBias(rows, width, x, 0, b, g, b, out, 0, 1e-5f)), 3.0 * rows * width * 4);
            for (DeviceBuffer buf : new DeviceBuffer[] {qkv, out, tqkv, tout, hidden, bias, g, b, x}) buf.close();
        }
        float[] pixels = random(images * 3 * 224 * 224, 8);
        for (String threads : new String[] {"1", "4", "8"}) {
            System.setProperty("clip.cuda.uploadThreads", threads);
            try (CudaDevice d = CudaDevice.open(ordinal, "tf32"); DeviceBuffer dst = d.allocate(pixels.length)) {
                report("upload " + pixels.length * 4 / 1_000_000 + " MB, " + threads + " filling threads",
                        time(d, () -> d.write(dst, 0, pixels, 0, pixels.length)), pixels.length * 4.0);
            }
        }
        System.clearProperty("clip.cuda.uploadThreads");
    }

    private static void report(String what, double ms, double bytes) {
        System.out.printf(Locale.ROOT, "%-46s %8.3f ms  %7.1f GB/s%n", what, ms, bytes / ms / 1e6);
    }

    /** Median milliseconds of 30 synchronised calls after 5 warm-up calls. */
    private static double time(CudaDevice d, Runnable op) {
        for (int i = 0; i < 5; i++) op.run();
        d.synchronize();
        double[] t = new double[30];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            op.run();
            d.synchronize();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
