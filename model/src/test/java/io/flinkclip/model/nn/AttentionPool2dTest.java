package io.flinkclip.model.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The inference attention pool ({@link AttentionPool2d#forwardNhwc}: the query mapped back to the input width, raw
 * tokens scored and averaged, the average projected) against the training pool ({@link AttentionPool2d#forward}:
 * every token projected to keys and values, full attention). Biases are large on purpose: the key bias drops
 * out of the inference form (it shifts a head's scores alike) and the value bias must come through once.
 */
class AttentionPool2dTest {
    @Test
    void inputWidthFormMatchesProjectingEveryToken() {
        int spatial = 3, c = 96, heads = 6, out = 40;
        for (int n : new int[] {1, 5}) {
            SplittableRandom rnd = new SplittableRandom(n);
            StateDict sd = weights(rnd, spatial, c, out), copy = new StateDict();
            for (Tensor t : sd.tensors()) copy.put(t);
            AttentionPool2d training = new AttentionPool2d(new Params(sd), "pool", spatial, c, heads, out);
            AttentionPool2d inference = new AttentionPool2d(new Params(copy, true), "pool", spatial, c, heads, out);
            int hw = spatial * spatial;
            float[] nchw = new float[n * c * hw], nhwc = new float[n * hw * c];
            for (int b = 0; b < n; b++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int s = 0; s < hw; s++) {
                        float v = (float) Math.max(0, rnd.nextGaussian());
                        nchw[(b * c + ch) * hw + s] = v;
                        nhwc[(b * hw + s) * c + ch] = v;
                    }
                }
            }
            float[] want = training.forward(nchw, n, new Arena(), null), got = inference.forwardNhwc(nhwc, n, new Arena());
            for (int b = 0; b < n; b++) {
                double num = 0, den = 0;
                for (int i = b * out; i < (b + 1) * out; i++) {
                    num += (got[i] - want[i]) * (double) (got[i] - want[i]);
                    den += (double) want[i] * want[i];
                }
                double rel = Math.sqrt(num / den);
                assertTrue(den > 0 && rel < 1e-6, "batch " + n + ", image " + b + ": relative L2 difference " + rel);
            }
        }
    }

    private static StateDict weights(SplittableRandom rnd, int spatial, int c, int out) {
        StateDict sd = new StateDict();
        int t = spatial * spatial + 1;
        sd.put(Tensor.of("pool.positional_embedding", new int[] {t, c}, gaussian(rnd, t * c, 0.1, 0)));
        for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
            sd.put(Tensor.of("pool." + proj + ".weight", new int[] {c, c}, gaussian(rnd, c * c, 1 / Math.sqrt(c), 0)));
            sd.put(Tensor.of("pool." + proj + ".bias", new int[] {c}, gaussian(rnd, c, 0.5, 1.0)));
        }
        sd.put(Tensor.of("pool.c_proj.weight", new int[] {out, c}, gaussian(rnd, out * c, 1 / Math.sqrt(c), 0)));
        sd.put(Tensor.of("pool.c_proj.bias", new int[] {out}, gaussian(rnd, out, 0.1, 0)));
        return sd;
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double std, double mean) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (mean + std * rnd.nextGaussian());
        return x;
    }
}
