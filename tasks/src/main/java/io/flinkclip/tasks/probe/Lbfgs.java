package io.flinkclip.tasks.probe;

/**
 * Limited-memory BFGS (Nocedal &amp; Wright, Algorithm 7.4 two-loop recursion) with a strong-Wolfe line
 * search (Algorithms 3.5/3.6, safeguarded cubic interpolation in the zoom phase). Deterministic.
 */
public final class Lbfgs {
    /**
     * @param maxIterations outer iterations before giving up (sklearn's CLIP probe used 1000)
     * @param memory number of (s, y) pairs kept
     * @param gradientTolerance stop when ‖∇f‖∞ ≤ gradientTolerance · max(1, |f|)
     * @param functionTolerance stop when the relative decrease of f in one iteration is below this
     */
    public record Options(int maxIterations, int memory, double gradientTolerance, double functionTolerance) {
        public Options {
            if (maxIterations < 0 || memory < 1 || !(gradientTolerance >= 0) || !(functionTolerance >= 0)) {
                throw new IllegalArgumentException("bad L-BFGS options " + maxIterations + ", " + memory + ", " + gradientTolerance + ", " + functionTolerance);
            }
        }

        public static Options defaults() { return new Options(1000, 10, 1e-7, 1e-12); }
    }

    public enum Stop { GRADIENT, FUNCTION_CHANGE, MAX_ITERATIONS, LINE_SEARCH_FAILED }

    public record Result(double[] x, double value, double gradientMaxNorm, int iterations, int evaluations, Stop stop) {}

    private static final double C1 = 1e-4, C2 = 0.9;
    private static final int MAX_LINE_SEARCH = 40;

    private final Options options;

    public Lbfgs(Options options) { this.options = options; }

    public Result minimize(DifferentiableFunction f, double[] start) {
        int n = f.dimension();
        if (start.length != n) throw new IllegalArgumentException("start has " + start.length + " values, function has " + n);
        int m = options.memory();
        double[][] s = new double[m][], y = new double[m][];
        double[] rho = new double[m];
        int stored = 0, head = 0; // ring buffer of the last `stored` pairs, newest at head-1
        double[] x = start.clone(), g = new double[n];
        double fx = f.valueAndGradient(x, g);
        int evals = 1;
        requireFinite(fx, g);
        double[] p = new double[n], alpha = new double[m];
        for (int iter = 0; ; iter++) {
            double gmax = maxAbs(g);
            if (gmax <= options.gradientTolerance() * Math.max(1, Math.abs(fx))) return new Result(x, fx, gmax, iter, evals, Stop.GRADIENT);
            if (iter >= options.maxIterations()) return new Result(x, fx, gmax, iter, evals, Stop.MAX_ITERATIONS);
            // Two-loop recursion: p = -H·g.
            for (int i = 0; i < n; i++) p[i] = -g[i];
            for (int back = 0; back < stored; back++) {
                int k = Math.floorMod(head - 1 - back, m);
                alpha[k] = rho[k] * dot(s[k], p);
                axpy(-alpha[k], y[k], p);
            }
            if (stored > 0) {
                int k = Math.floorMod(head - 1, m);
                double gamma = dot(s[k], y[k]) / dot(y[k], y[k]);
                for (int i = 0; i < n; i++) p[i] *= gamma;
            }
            for (int back = stored - 1; back >= 0; back--) {
                int k = Math.floorMod(head - 1 - back, m);
                double beta = rho[k] * dot(y[k], p);
                axpy(alpha[k] - beta, s[k], p);
            }
            double dg = dot(p, g);
            if (!(dg < 0)) { // curvature information went bad: fall back to steepest descent
                stored = 0;
                for (int i = 0; i < n; i++) p[i] = -g[i];
                dg = dot(p, g);
            }
            double step0 = stored == 0 ? Math.min(1.0, 1.0 / Math.sqrt(-dg)) : 1.0;
            LineSearch ls = new LineSearch(f, x, fx, g, p, dg);
            boolean ok = ls.run(step0);
            evals += ls.evaluations;
            if (!ok) {
                if (stored > 0) { // retry once along the gradient before declaring failure
                    stored = 0;
                    iter--;
                    continue;
                }
                return new Result(x, fx, gmax, iter, evals, Stop.LINE_SEARCH_FAILED);
            }
            double[] sNew = new double[n], yNew = new double[n];
            for (int i = 0; i < n; i++) {
                sNew[i] = ls.bestX[i] - x[i];
                yNew[i] = ls.bestG[i] - g[i];
            }
            double sy = dot(sNew, yNew);
            if (sy > 1e-12 * Math.sqrt(dot(sNew, sNew) * dot(yNew, yNew))) {
                s[head] = sNew;
                y[head] = yNew;
                rho[head] = 1.0 / sy;
                head = (head + 1) % m;
                stored = Math.min(stored + 1, m);
            }
            double fOld = fx;
            x = ls.bestX;
            g = ls.bestG;
            fx = ls.bestF;
            if ((fOld - fx) <= options.functionTolerance() * Math.max(1, Math.max(Math.abs(fOld), Math.abs(fx)))) {
                return new Result(x, fx, maxAbs(g), iter + 1, evals, Stop.FUNCTION_CHANGE);
            }
        }
    }

    /** Strong-Wolfe line search along p from x; on success bestX/bestF/bestG hold the accepted point. */
    private static final class LineSearch {
        /** One evaluated trial step: its length, f, directional derivative, point and gradient. */
        private record Point(double a, double f, double d, double[] x, double[] g) {}

        final DifferentiableFunction f;
        final double[] x, p;
        final double f0, dg0;
        int evaluations;
        double[] bestX, bestG;
        double bestF;

        LineSearch(DifferentiableFunction f, double[] x, double f0, double[] g0, double[] p, double dg0) {
            this.f = f;
            this.x = x;
            this.p = p;
            this.f0 = f0;
            this.dg0 = dg0;
        }

        private Point eval(double a) {
            int n = x.length;
            double[] px = new double[n], pg = new double[n];
            for (int i = 0; i < n; i++) px[i] = x[i] + a * p[i];
            double fv = f.valueAndGradient(px, pg);
            evaluations++;
            return new Point(a, fv, dot(pg, p), px, pg);
        }

        private boolean accept(Point q) {
            bestX = q.x;
            bestG = q.g;
            bestF = q.f;
            return true;
        }

        private boolean sufficientDecrease(Point q) {
            return Double.isFinite(q.f) && Double.isFinite(q.d) && q.f <= f0 + C1 * q.a * dg0;
        }

        boolean run(double a1) {
            Point prev = new Point(0, f0, dg0, null, null);
            double a = a1;
            for (int i = 0; i < MAX_LINE_SEARCH; i++) {
                Point cur = eval(a);
                if (!sufficientDecrease(cur) || (i > 0 && cur.f >= prev.f)) return zoom(prev, cur);
                if (Math.abs(cur.d) <= -C2 * dg0) return accept(cur);
                if (cur.d >= 0) return zoom(cur, prev);
                prev = cur;
                a *= 2;
            }
            return false;
        }

        /** Zoom between lo (satisfies sufficient decrease, lowest f so far) and hi. */
        private boolean zoom(Point lo, Point hi) {
            for (int i = 0; i < MAX_LINE_SEARCH; i++) {
                if (Math.abs(hi.a - lo.a) <= 1e-14 * Math.max(1, Math.abs(lo.a))) break;
                Point cur = eval(interpolate(lo, hi));
                if (!sufficientDecrease(cur) || cur.f >= lo.f) {
                    hi = cur;
                } else {
                    if (Math.abs(cur.d) <= -C2 * dg0) return accept(cur);
                    if (cur.d * (hi.a - lo.a) >= 0) hi = lo;
                    lo = cur;
                }
            }
            // No strong-Wolfe point found (numerical noise near the optimum): take lo if it decreased f.
            if (lo.x != null && lo.f < f0) return accept(lo);
            return false;
        }

        /** Minimiser of the cubic through lo and hi (values and slopes), kept inside the middle 80% of the bracket. */
        private static double interpolate(Point lo, Point hi) {
            double left = Math.min(lo.a, hi.a), right = Math.max(lo.a, hi.a), width = right - left;
            double a = Double.NaN;
            if (Double.isFinite(hi.f) && Double.isFinite(hi.d)) {
                double d1 = lo.d + hi.d - 3 * (lo.f - hi.f) / (lo.a - hi.a);
                double disc = d1 * d1 - lo.d * hi.d;
                if (disc >= 0) {
                    double d2 = Math.signum(hi.a - lo.a) * Math.sqrt(disc);
                    a = hi.a - (hi.a - lo.a) * (hi.d + d2 - d1) / (hi.d - lo.d + 2 * d2);
                }
            }
            if (!Double.isFinite(a) || a < left + 0.1 * width || a > right - 0.1 * width) a = (lo.a + hi.a) / 2;
            return a;
        }
    }

    private static void requireFinite(double fx, double[] g) {
        if (!Double.isFinite(fx)) throw new IllegalArgumentException("objective is not finite at the start point: " + fx);
        for (double v : g) if (!Double.isFinite(v)) throw new IllegalArgumentException("gradient is not finite at the start point");
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) y[i] += a * x[i];
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
