package io.flinkclip.bench;

import io.flinkclip.io.ClipConfig;

/** Multiply-add work (2 FLOPs per MAC) of one forward pass, to express speed as a fraction of GEMM speed. */
final class Flops {
    private Flops() {}

    static double vitImage(ClipConfig c) {
        int w = c.visionWidth(), t = c.visionTokens(), p = c.visionPatchSize();
        double f = 2.0 * (t - 1) * w * 3 * p * p;
        f += c.visionLayers()[0] * transformerBlock(t, w);
        return f + 2.0 * w * c.embedDim();
    }

    /** Text tower over {@code len} tokens (our encoder stops at the batch's last EOT). */
    static double text(ClipConfig c, int len) {
        return c.textLayers() * transformerBlock(len, c.textWidth()) + 2.0 * c.textWidth() * c.embedDim();
    }

    static double transformerBlock(int t, int w) {
        return 2.0 * t * w * 3 * w + 2.0 * 2 * t * t * w + 2.0 * t * w * w + 2.0 * 2 * t * w * 4 * w;
    }

    static double resnetImage(ClipConfig c) {
        int r = c.imageResolution(), w = c.visionWidth();
        int s = r / 2;
        double f = conv(s, 3, w / 2, 3) + conv(s, w / 2, w / 2, 3) + conv(s, w / 2, w, 3);
        s /= 2;
        int in = w;
        for (int stage = 0; stage < 4; stage++) {
            int planes = w << stage;
            for (int b = 0; b < c.visionLayers()[stage]; b++) {
                int stride = b == 0 && stage > 0 ? 2 : 1;
                f += conv(s, in, planes, 1) + conv(s, planes, planes, 3);
                int so = s / stride;
                f += conv(so, planes, planes * 4, 1);
                if (b == 0) f += conv(so, in, planes * 4, 1);
                s = so;
                in = planes * 4;
            }
        }
        int tokens = s * s + 1, d = in;
        f += 2.0 * tokens * d * 2 * d + 2.0 * d * d + 2.0 * 2 * tokens * d + 2.0 * d * c.embedDim();
        return f;
    }

    private static double conv(int outSide, int cin, int cout, int k) { return 2.0 * outSide * outSide * cin * cout * k * k; }
}
