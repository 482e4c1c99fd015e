package io.flinkclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.model.nn.Trace;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * {@link ClipModel} reuses its activation buffers between calls, so a call finds the previous call's values in
 * every buffer it is handed (and buffers larger than it asked for). A kernel that reads a buffer before writing
 * all of it would make results depend on the call before; here every result of a model that has served calls of
 * other sizes must equal, bit for bit, the result of a call on fresh buffers: for images a traced call (which
 * never uses the pool and runs in one chunk, and a record's result does not depend on its batch), for texts a new
 * model.
 */
class PooledArenaTest {
    /** RN50's visual widths and depth at 64 px (the NHWC inference path with Winograd and pooling). */
    private static ClipConfig resNet() {
        ClipConfig rn50 = ClipArchitectures.get("RN50");
        return new ClipConfig(rn50.embedDim(), 64, rn50.visionLayers(), rn50.visionWidth(), 0, rn50.visionHeads(), 77,
                rn50.vocabSize(), 64, 1, 1);
    }

    /** A two-layer ViT at 32 px and ViT-B/32's text tower, shortened to two layers. */
    private static ClipConfig textModel() {
        ClipConfig b32 = ClipArchitectures.get("ViT-B/32");
        return new ClipConfig(b32.embedDim(), 32, new int[] {2}, 64, 16, 1, 77, b32.vocabSize(), b32.textWidth(),
                b32.textHeads(), 2);
    }

    private static Supplier<ClipModel> builder(ClipConfig cfg) {
        StateDict sd = ClipInit.initialize(cfg, 21);
        return () -> {
            StateDict copy = new StateDict();
            for (Tensor t : sd.tensors()) copy.put(t);
            return ClipModel.forInference(copy, cfg).withMaxBatch(3);
        };
    }

    @Test
    void imagesEncodeAsOnAFreshModelAfterCallsOfOtherSizes() {
        ClipConfig cfg = resNet();
        ClipModel used = builder(cfg).get();
        int per = 3 * 64 * 64;
        SplittableRandom rnd = new SplittableRandom(22);
        // Sizes that leave larger, smaller and chunked (maxBatch 3) activations behind; large pixel values leave
        // large stale values in the buffers.
        for (int n : new int[] {5, 1, 2, 4, 1}) {
            float[] px = new float[n * per];
            for (int i = 0; i < px.length; i++) px[i] = (float) (rnd.nextGaussian() * (n == 5 ? 50 : 1));
            float[][] got = used.encodeImages(px, n), want = used.encodeImages(px, n, new Trace(Set.of()));
            for (int i = 0; i < n; i++) assertArrayEquals(want[i], got[i], 0f, "image " + i + " of a call of " + n);
        }
    }

    @Test
    void textsEncodeAsOnAFreshModelAfterCallsOfOtherLengths() {
        Supplier<ClipModel> fresh = builder(textModel());
        ClipModel used = fresh.get();
        SplittableRandom rnd = new SplittableRandom(23);
        for (int[] lengths : new int[][] {{77, 40, 77, 12}, {5}, {30, 9}, {77, 77, 77, 77, 3}}) {
            int[][] tokens = new int[lengths.length][77];
            for (int r = 0; r < lengths.length; r++) {
                tokens[r][0] = 49406;
                for (int i = 1; i < lengths[r] - 1; i++) tokens[r][i] = 300 + rnd.nextInt(40000);
                tokens[r][lengths[r] - 1] = 49407;
            }
            float[][] got = used.encodeTexts(tokens), want = fresh.get().encodeTexts(tokens);
            for (int r = 0; r < tokens.length; r++) assertArrayEquals(want[r], got[r], 0f, "text " + r + " (" + lengths[r] + " tokens)");
        }
    }
}
