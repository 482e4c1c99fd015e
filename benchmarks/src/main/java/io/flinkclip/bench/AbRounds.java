package io.flinkclip.bench;

import java.util.Arrays;

/**
 * The harness {@link GemmAB}, {@link ModelAB} and {@link ThreadScaling} share (and {@link ConvChainBench} and
 * {@link ClipBench} its {@link #spread}): each side's system properties while its classes initialise, a warm-up that
 * alternates the sides, rounds in which the sides alternate (and so does who goes first), timed calls, per-round
 * ratios, and the median and quartiles of a per-round series.
 */
final class AbRounds {
    private AbRounds() {}

    /** One measurement of one side (a reflective call into that side's class loader). */
    interface Side {
        double measure() throws Exception;
    }

    /**
     * Runs {@code body} (a side's class loading and initialisation) with the {@code key=value,...} properties set
     * ({@code -}: none), clearing them afterwards, also when it throws.
     */
    static <T> T withProperties(String props, java.util.concurrent.Callable<T> body) throws Exception {
        setProperties(props, true);
        try {
            return body.call();
        } finally {
            setProperties(props, false);
        }
    }

    /** Sets (or clears) the {@code key=value,...} properties of one side; {@code -} is none. */
    private static void setProperties(String props, boolean set) {
        if (props.equals("-")) return;
        for (String kv : props.split(",")) {
            String[] e = kv.split("=", 2);
            if (e.length != 2) throw new IllegalArgumentException("properties must be key=value,...: " + props);
            if (set) System.setProperty(e[0], e[1]);
            else System.clearProperty(e[0]);
        }
    }

    /** Runs a then b, over and over, for about {@code seconds} (JIT, caches, thread pools). */
    static void warm(double seconds, Side a, Side b) throws Exception {
        for (long end = System.nanoTime() + (long) (seconds * 1e9); System.nanoTime() < end; ) {
            a.measure();
            b.measure();
        }
    }

    /** values[v][r]: side v (0 = a, 1 = b) measured in round r; who goes first alternates from round to round. */
    static double[][] alternate(int rounds, Side a, Side b) throws Exception {
        Side[] sides = {a, b};
        double[][] values = new double[2][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int s = 0; s < 2; s++) {
                int v = r % 2 == 0 ? s : 1 - s;
                values[v][r] = sides[v].measure();
            }
        }
        return values;
    }

    /** values[1][r] / values[0][r] per round. */
    static double[] ratios(double[][] values) { return ratios(values[1], values[0]); }

    /** num[r] / den[r] per round. */
    static double[] ratios(double[] num, double[] den) {
        double[] ratio = new double[num.length];
        for (int r = 0; r < ratio.length; r++) ratio[r] = num[r] / den[r];
        return ratio;
    }

    /** Mean seconds per call of {@code call} over calls filling about {@code seconds} (at least one call). */
    static double secondsPerCall(Runnable call, double seconds) {
        long t0 = System.nanoTime(), budget = (long) (seconds * 1e9);
        int calls = 0;
        do {
            call.run();
            calls++;
        } while (System.nanoTime() - t0 < budget);
        return (System.nanoTime() - t0) * 1e-9 / calls;
    }

    /** Sorts {@code v} in place and returns {median, first quartile, third quartile}. */
    static double[] spread(double[] v) {
        Arrays.sort(v);
        return new double[] {v[v.length / 2], v[v.length / 4], v[3 * v.length / 4]};
    }
}
