package io.flinkclip.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How image encoding scales from one thread to several, ours against ONNX Runtime, in one JVM: our model at 1 and at
 * T threads (two class loaders, each with its own {@code clip.threads}, as in {@link ModelAB}) and ORT sessions with 1
 * and T intra-op threads, the four configurations alternating round by round (who goes first rotates) with
 * {@link ClipBench#pause} before each. Consecutive runs on this project's VMs differ by up to 1.7×, so a scaling
 * figure from two separate runs (one per thread count) says little; here every round has all four.
 *
 * <pre>bin/clip bench --scaling --weights W.safetensors [--threads T] [--batch B] [--rounds N]</pre>
 * The weights need the ONNX export {@code bin/clip bench} writes beside them. Prints each configuration's median time
 * per call and, as median [quartiles] of the per-round ratios, each engine's scaling and our speed relative to ORT at
 * 1 and at T threads (above 1: ours faster).
 */
public final class ThreadScaling {
    private ThreadScaling() {}

    public static void main(String[] args) throws Exception {
        BenchCommand.main(args, ThreadScaling::command);
    }

    static void command(String[] args) throws Exception {
        Path weights = null;
        int batch = 1, rounds = 15;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scaling" -> { }
                case "--weights" -> weights = Path.of(BenchCommand.value(args, ++i));
                case "--batch" -> batch = BenchCommand.intValue(args, ++i);
                case "--rounds" -> rounds = BenchCommand.intValue(args, ++i);
                case "--threads" -> i++; // read by bin/clip (-Dclip.threads)
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--weights W, --batch B, --rounds N, --threads T)");
            }
        }
        if (weights == null) throw new IllegalArgumentException("--weights FILE is required");
        if (batch < 1 || rounds < 4) throw new IllegalArgumentException("--batch must be ≥ 1 and --rounds ≥ 4");
        int threads = Integer.getInteger("clip.threads", Runtime.getRuntime().availableProcessors());
        if (threads < 2) throw new IllegalArgumentException("scaling needs at least 2 threads (--threads T)");
        Path onnx = weights.resolveSibling(weights.getFileName() + ".onnx").resolve("image.onnx");
        if (!Files.exists(onnx)) throw new IllegalArgumentException("no ONNX export at " + onnx + ": run bin/clip bench on these weights once to write it");

        int[] counts = {1, threads};
        ModelAB.Side[] ours = new ModelAB.Side[2];
        for (int v = 0; v < 2; v++) ours[v] = ModelAB.Side.load("-", "clip.threads=" + counts[v], weights.toString(), batch);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession[] ort = new OrtSession[2];
        for (int v = 0; v < 2; v++) ort[v] = env.createSession(onnx.toString(), ClipBench.ortOptions(counts[v]));
        int res = resolution(ort[0]);
        float[] pixels = new float[batch * 3 * res * res];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) rnd.nextGaussian();
        double seconds = batch > 4 ? 2.0 : 0.6;
        String[] names = {"ours, 1 thread", "ours, " + threads + " threads", "ORT, 1 thread", "ORT, " + threads + " threads"};
        double[][] ms = new double[4][rounds];
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {batch, 3, res, res})) {
            for (int round = -2; round < rounds; round++) { // two warm-up rounds
                for (int s = 0; s < 4; s++) {
                    int c = (s + Math.max(round, 0)) % 4;
                    ClipBench.pause();
                    OrtSession session = ort[c % 2]; // configurations: ours 1, ours T, ORT 1, ORT T
                    double v = 1e3 * (c < 2 ? ours[c].secondsPerCall(seconds)
                            : AbRounds.secondsPerCall(() -> ClipBench.run(session, "pixels", t), seconds));
                    if (round >= 0) ms[c][round] = v;
                }
            }
        } finally {
            for (OrtSession s : ort) s.close();
        }
        System.out.printf(Locale.ROOT, "%s, batch %d, %d rounds of about %.1f s per configuration%n", weights.getFileName(), batch, rounds, seconds);
        for (int c = 0; c < 4; c++) System.out.printf(Locale.ROOT, "  %-22s %9.2f ms per call (median)%n", names[c], AbRounds.spread(ms[c].clone())[0]);
        print("scaling 1 -> " + threads + " threads, ours", AbRounds.ratios(ms[0], ms[1]));
        print("scaling 1 -> " + threads + " threads, ORT", AbRounds.ratios(ms[2], ms[3]));
        print("ours vs ORT, 1 thread (speed)", AbRounds.ratios(ms[2], ms[0]));
        print("ours vs ORT, " + threads + " threads (speed)", AbRounds.ratios(ms[3], ms[1]));
    }

    /** ORT's image input size, from the session's input shape [n, 3, r, r]. */
    private static int resolution(OrtSession s) throws Exception {
        long[] shape = ((ai.onnxruntime.TensorInfo) s.getInputInfo().get("pixels").getInfo()).getShape();
        if (shape.length != 4 || shape[3] <= 0) throw new IllegalArgumentException("unexpected ONNX image input shape " + java.util.Arrays.toString(shape));
        return (int) shape[3];
    }

    private static void print(String what, double[] perRound) {
        double[] s = AbRounds.spread(perRound);
        System.out.printf(Locale.ROOT, "  %-40s %.3f [%.3f..%.3f]%n", what, s[0], s[1], s[2]);
    }
}
