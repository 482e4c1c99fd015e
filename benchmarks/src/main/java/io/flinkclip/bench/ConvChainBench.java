package io.flinkclip.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.kernels.ConvNhwc;
import io.flinkclip.kernels.Epilogue;
import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.kernels.Parallel;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * RN50's 1×1 convolutions at one image, stage by stage, against ONNX Runtime's MLAS (its NCHWc pointwise kernels) on
 * the same weights, in one JVM with the engines alternating round by round ({@code bin/clip bench --conv-chains}).
 *
 * <p>Why a chain and not one layer: at batch 1 these layers lose most against ORT in the model's layer profile, but a
 * single convolution repeated on the same input keeps its input hot and hides what the model pays (the input was just
 * written by the previous layer, half of it by the other core). Each stage is {@code blocks} pairs in → mid (ReLU),
 * mid → in (ReLU), RN50's conv1 / conv3 shapes, one image. Weights as the model holds them: BatchNorm-scaled; layers
 * of more than {@code 256·1024} values keep fp16 weights with the scale applied on widening (RN50's layer 4),
 * smaller ones are folded into fp32 ({@code FusedConv}'s rule). ORT gets the folded fp32 weights, exported by
 * {@code bench/torch_clip.py export-conv-chain}, and runs its NCHW → NCHWc reorders inside each timed pass.
 *
 * <p>Prints per stage our and ORT's time per pass, GFLOP/s, and the median and quartiles of the per-round time ratio
 * (ours / ORT: below 1 is faster), plus the largest output difference between the engines as a check.
 */
public final class ConvChainBench {
    /** Map side, input (= output) channels, bottleneck channels, pairs: RN50's four stages at 224 px. */
    record Stage(int side, int in, int mid, int blocks) {
        int layers() { return 2 * blocks; }
        long flops() { return 2L * side * side * in * mid * layers(); }
        String name() { return side + "x" + side + " " + in + "<->" + mid + " x" + blocks; }
    }

    private static final Stage[] RN50 = {new Stage(56, 256, 64, 3), new Stage(28, 512, 128, 4), new Stage(14, 1024, 256, 6), new Stage(7, 2048, 512, 3)};
    /** FusedConv's FOLDED_MAX_VALUES, read from the same property: larger layers keep 16-bit weights. */
    private static final long FOLDED_MAX = Long.getLong("clip.conv.foldedMax", 256 * 1024);
    private static final int PASSES_PER_ROUND = 10;

    private ConvChainBench() {}

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, ConvChainBench::command);
    }

    static void command(String[] args) throws Exception {
        int rounds = 16;
        Path cache = Path.of("bench-cache");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--conv-chains" -> { }
                case "--rounds" -> rounds = BenchCommand.intValue(args, ++i);
                case "--cache" -> cache = Path.of(BenchCommand.value(args, ++i));
                case "--threads" -> i++; // read by bin/clip
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--rounds N, --cache DIR)");
            }
        }
        if (rounds < 4) throw new IllegalArgumentException("--rounds must be at least 4");
        Files.createDirectories(cache);
        System.out.printf(Locale.ROOT, "RN50 1x1 convolution chains at one image, %d threads, %d rounds of %d passes per engine%n",
                Parallel.THREADS, rounds, PASSES_PER_ROUND);
        System.out.printf(Locale.ROOT, "%-24s %10s %10s %10s %10s %22s %10s%n", "stage", "ours ms", "ORT ms", "ours GF/s", "ORT GF/s",
                "ours/ORT time [q1..q3]", "max diff");
        for (Stage s : RN50) {
            try (Chain chain = new Chain(s, cache)) {
                chain.compare(rounds);
            }
        }
    }

    /** One stage: our packed weights, ORT's session on the folded ones, an input. */
    private static final class Chain implements AutoCloseable {
        final Stage st;
        final PackedMatrix[] weights;
        final float[][] bias;
        final float[] input, x, a;
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        final OrtSession session;
        final OnnxTensor ortInput;

        Chain(Stage st, Path cache) throws Exception {
            this.st = st;
            int layers = st.layers(), pixels = st.side() * st.side();
            weights = new PackedMatrix[layers];
            bias = new float[layers][];
            StateDict folded = new StateDict();
            SplittableRandom rnd = new SplittableRandom(st.in() * 31L + st.side());
            for (int l = 0; l < layers; l++) {
                int in = l % 2 == 0 ? st.in() : st.mid(), out = l % 2 == 0 ? st.mid() : st.in();
                float[] w = new float[out * in], f = new float[out * in], scale = new float[out];
                bias[l] = new float[out];
                double std = Math.sqrt(2.0 / in);
                for (int i = 0; i < w.length; i++) w[i] = Float.float16ToFloat(Float.floatToFloat16((float) (rnd.nextGaussian() * std)));
                for (int o = 0; o < out; o++) {
                    scale[o] = (float) (0.5 + rnd.nextDouble());
                    bias[l][o] = (float) (0.1 * rnd.nextGaussian());
                }
                // W·s rounded once per value: what FusedConv folds, and what its 16-bit path computes on widening.
                for (int i = 0; i < w.length; i++) f[i] = (float) ((double) w[i] * scale[i / in]);
                weights[l] = (long) in * out > FOLDED_MAX
                        ? PackedMatrix.fromRowsNK(w, 0, out, in).compact().scaleColumns(scale)
                        : PackedMatrix.fromRowsNK(f, 0, out, in);
                folded.put(Tensor.of("conv" + l + ".weight", new int[] {out, in, 1, 1}, f));
                folded.put(Tensor.of("conv" + l + ".bias", new int[] {out}, bias[l]));
            }
            String slug = "conv-chain-" + st.side() + "-" + st.in() + "-" + st.mid() + "-" + st.blocks();
            Path wFile = cache.resolve(slug + ".safetensors"), onnx = cache.resolve(slug + ".onnx");
            SafeTensors.write(wFile, folded);
            ClipBench.python("export-conv-chain", "--weights", wFile.toString(), "--shape",
                    st.side() + "," + st.in() + "," + st.mid() + "," + st.blocks(), "--out", onnx.toString());
            session = env.createSession(onnx.toString(), ClipBench.ortOptions(Parallel.THREADS));
            input = new float[pixels * st.in()];
            for (int i = 0; i < input.length; i++) input[i] = (float) rnd.nextGaussian();
            x = new float[input.length];
            a = new float[pixels * st.mid()];
            float[] nchw = new float[input.length];
            for (int p = 0; p < pixels; p++) for (int c = 0; c < st.in(); c++) nchw[c * pixels + p] = input[p * st.in() + c];
            ortInput = OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw), new long[] {1, st.in(), st.side(), st.side()});
        }

        /** One pass of ours: the stage's layers in order, the result in x (NHWC). */
        void ours() {
            System.arraycopy(input, 0, x, 0, input.length);
            int side = st.side();
            for (int l = 0; l < st.layers(); l += 2) {
                ConvNhwc.conv2d(x, 1, side, side, st.in(), 1, 1, 0, weights[l], bias[l], a, false, Epilogue.RELU);
                ConvNhwc.conv2d(a, 1, side, side, st.mid(), 1, 1, 0, weights[l + 1], bias[l + 1], x, false, Epilogue.RELU);
            }
        }

        /** One pass of ORT's; its output is copied out only when {@code fetch} (not in the timed passes). */
        float[] ort(boolean fetch) throws Exception {
            try (OrtSession.Result r = session.run(Map.of("x", ortInput))) {
                if (!fetch) return null;
                FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] v = new float[out.remaining()];
                out.get(v);
                return v;
            }
        }

        /** Largest |ours − ORT| over the stage's output, relative to the output's largest magnitude. */
        double maxDiff() throws Exception {
            ours();
            float[] peer = ort(true);
            int pixels = st.side() * st.side();
            double diff = 0, mag = 0;
            for (int p = 0; p < pixels; p++) {
                for (int c = 0; c < st.in(); c++) {
                    float o = x[p * st.in() + c], t = peer[c * pixels + p];
                    diff = Math.max(diff, Math.abs(o - t));
                    mag = Math.max(mag, Math.abs(t));
                }
            }
            return diff / Math.max(mag, Float.MIN_NORMAL);
        }

        void compare(int rounds) throws Exception {
            double diff = maxDiff();
            for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
                ours();
                ort(false);
            }
            double[] ours = new double[rounds], peer = new double[rounds], ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ClipBench.pause();
                long t0 = System.nanoTime();
                for (int p = 0; p < PASSES_PER_ROUND; p++) ours();
                long t1 = System.nanoTime();
                ClipBench.pause(); // ORT's intra-op workers spin after a run: let them go idle first, and ours too
                long t2 = System.nanoTime();
                for (int p = 0; p < PASSES_PER_ROUND; p++) ort(false);
                long t3 = System.nanoTime();
                ours[r] = (t1 - t0) / 1e6 / PASSES_PER_ROUND;
                peer[r] = (t3 - t2) / 1e6 / PASSES_PER_ROUND;
                ratio[r] = ours[r] / peer[r];
            }
            double o = AbRounds.spread(ours)[0], t = AbRounds.spread(peer)[0];
            double[] q = AbRounds.spread(ratio);
            System.out.printf(Locale.ROOT, "%-24s %10.3f %10.3f %10.1f %10.1f %9.3f [%.3f..%.3f] %10.1e%n", st.name(), o, t,
                    st.flops() / o / 1e6, st.flops() / t / 1e6, q[0], q[1], q[2], diff);
        }

        @Override
        public void close() throws Exception {
            ortInput.close();
            session.close();
        }
    }
}
