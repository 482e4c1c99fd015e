package io.flinkclip.bench;

import io.flinkclip.model.ClipLoader;
import io.flinkclip.model.ClipModel;
import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A/B of two model configurations in one JVM: each side loads the whole application (model, kernels, loaders) through
 * its own class loader, with its own system properties set while its classes initialise and its weights load, so
 * static settings ({@code -Dclip.conv.foldedMax}, {@code -Dclip.winograd…}, kernel constants) can differ; a side may also
 * put other class directories first (another build of a module). Image encoding then alternates between the sides in
 * rounds of about {@code roundSeconds}, and the per-round time ratio B/A is reported as median and quartiles, with
 * both sides' embeddings compared. What {@link GemmAB} does for one SGEMM, for a whole image pass: on this project's
 * VMs consecutive runs of one configuration differ by up to 1.7×, so only alternating ratios resolve a few percent.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) \
 *     io.flinkclip.bench.ModelAB WEIGHTS BATCH ROUNDS PROPS_A PROPS_B [FIRST_A FIRST_B]</pre>
 * PROPS_x: {@code key=value,...} or {@code -}; FIRST_x: class directories (path-separated) searched before the
 * application's own for that side, or {@code -}. Run A against A first: its spread is the noise floor.
 */
public final class ModelAB {
    private ModelAB() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5 && args.length != 7) {
            throw new IllegalArgumentException("usage: ModelAB WEIGHTS BATCH ROUNDS PROPS_A PROPS_B [FIRST_A FIRST_B]");
        }
        String weights = args[0];
        int batch = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
        if (batch < 1 || rounds < 4) throw new IllegalArgumentException("BATCH must be ≥ 1 and ROUNDS ≥ 4");
        Side[] side = new Side[2];
        for (int v = 0; v < 2; v++) side[v] = Side.load(args.length == 7 ? args[5 + v] : "-", args[3 + v], weights, batch);
        float[] ea = side[0].firstEmbedding(), eb = side[1].firstEmbedding();
        double diff = 0;
        for (int i = 0; i < ea.length; i++) diff = Math.max(diff, Math.abs(ea[i] - eb[i]));
        System.out.printf(Locale.ROOT, "first image's embeddings: %s (max |A − B| %.3g)%n",
                Arrays.equals(ea, eb) ? "bit-identical" : "differ", diff);
        double roundSeconds = batch > 4 ? 2.0 : 0.6;
        AbRounds.warm(8, () -> side[0].secondsPerCall(0.2), () -> side[1].secondsPerCall(0.2));
        double[][] ms = AbRounds.alternate(rounds, () -> 1e3 * side[0].secondsPerCall(roundSeconds),
                () -> 1e3 * side[1].secondsPerCall(roundSeconds));
        double[] ratio = AbRounds.spread(AbRounds.ratios(ms)), a = AbRounds.spread(ms[0]), b = AbRounds.spread(ms[1]);
        System.out.printf(Locale.ROOT, "batch %d: A %.2f ms, B %.2f ms per call (medians of %d rounds); B/A time median %.3f, quartiles %.3f..%.3f%n",
                batch, a[0], b[0], rounds, ratio[0], ratio[1], ratio[2]);
    }

    /**
     * A {@link Workload} loaded with the whole application through its own class loader ({@code first}: class
     * directories searched first, or {@code -}), its classes initialised under the {@code key=value,...} properties
     * {@code props} (or {@code -}), and called reflectively.
     */
    static final class Side {
        private final Object workload;
        private final Method time, embedding;

        private Side(Object workload) throws NoSuchMethodException {
            this.workload = workload;
            time = workload.getClass().getMethod("secondsPerCall", double.class);
            embedding = workload.getClass().getMethod("firstEmbedding");
        }

        static Side load(String first, String props, String weights, int batch) throws Exception {
            ClassLoader loader = sideLoader(first);
            return new Side(AbRounds.withProperties(props, () -> Class.forName(Workload.class.getName(), true, loader)
                    .getConstructor(String.class, int.class).newInstance(weights, batch)));
        }

        double secondsPerCall(double seconds) throws Exception { return (double) time.invoke(workload, seconds); }

        float[] firstEmbedding() throws Exception { return (float[]) embedding.invoke(workload); }
    }

    /** The application's class path (JDK excluded by the platform parent), with {@code first} searched first. */
    private static ClassLoader sideLoader(String first) throws Exception {
        List<URL> urls = new ArrayList<>();
        if (!first.equals("-")) for (String p : first.split(File.pathSeparator)) urls.add(Path.of(p).toUri().toURL());
        for (String p : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!p.isEmpty()) urls.add(Path.of(p).toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    /** One side: its own copy of the model, fed the same random pixels as the other side. */
    public static final class Workload {
        private final ClipModel model;
        private final float[] pixels;
        private final int batch;

        public Workload(String weights, int batch) {
            this.batch = batch;
            model = (ClipModel) ClipLoader.fromSafetensors(Path.of(weights), null, ClipLoader.Overrides.NONE).encoder();
            int r = model.config().imageResolution();
            pixels = new float[batch * 3 * r * r];
            SplittableRandom rnd = new SplittableRandom(1);
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) rnd.nextGaussian();
            // One pass while this side's properties are set: kernel classes first used in a forward pass (not while
            // loading) read their static settings now.
            model.encodeImages(pixels, batch);
        }

        /** Mean time per image-encoding call over calls filling about {@code seconds} (at least one call). */
        public double secondsPerCall(double seconds) {
            return AbRounds.secondsPerCall(() -> model.encodeImages(pixels, batch), seconds);
        }

        public float[] firstEmbedding() { return model.encodeImages(pixels, batch)[0]; }
    }
}
