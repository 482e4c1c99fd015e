package io.flinkclip.tasks.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * Chooses the probe's C on a validation split the way OpenAI did for the CLIP paper's linear probes: a
 * coarse sweep over C = 10^-6, 10^-4, …, 10^6, then a bisection-like refinement in log space around the best
 * value (each round tries the midpoints towards both neighbours and halves the step). Ties keep the
 * earlier (smaller-C, i.e. more regularised) candidate. Each fit warm-starts from the best probe so far.
 */
public final class RegularizationSearch {
    /**
     * @param minLog10C lower end of the sweep, as log10(C)
     * @param maxLog10C upper end
     * @param coarseStep coarse grid spacing in decades
     * @param refineRounds bisection rounds after the sweep
     */
    public record Options(double minLog10C, double maxLog10C, double coarseStep, int refineRounds, Lbfgs.Options lbfgs) {
        public Options {
            if (!(minLog10C <= maxLog10C) || !(coarseStep > 0) || refineRounds < 0) {
                throw new IllegalArgumentException("bad search range " + minLog10C + ".." + maxLog10C + " step " + coarseStep);
            }
        }

        public static Options defaults() { return new Options(-6, 6, 2, 4, Lbfgs.Options.defaults()); }
    }

    public record Trial(double c, double validationAccuracy) {}

    public record Result(double bestC, double bestValidationAccuracy, List<Trial> trials) {}

    /** A probe refit on all training data with the chosen C, and the search that chose it. */
    public record Fit(LogisticRegressionProbe probe, Result search) {}

    private RegularizationSearch() {}

    public static Result search(FeatureMatrix train, float[][] valFeatures, int[] valLabels, List<String> classNames, Options options) {
        // warm start each fit from the best probe so far (the sweep visits neighbouring Cs)
        LogisticRegressionProbe[] best = {null};
        double[] bestAcc = {-1};
        return search(c -> {
            LogisticRegressionProbe p = LogisticRegressionProbe.train(train, classNames, c, options.lbfgs(), best[0]);
            double acc = p.accuracy(valFeatures, valLabels);
            if (acc > bestAcc[0]) {
                bestAcc[0] = acc;
                best[0] = p;
            }
            return acc;
        }, options);
    }

    /** The search itself over any validation score of C (higher is better). */
    public static Result search(DoubleUnaryOperator scoreOfC, Options options) {
        List<Trial> trials = new ArrayList<>();
        double bestExp = Double.NaN, bestAcc = Double.NEGATIVE_INFINITY;
        int coarse = (int) Math.floor((options.maxLog10C() - options.minLog10C()) / options.coarseStep() + 1e-9);
        for (int i = 0; i <= coarse; i++) {
            double e = options.minLog10C() + i * options.coarseStep();
            double acc = scoreOfC.applyAsDouble(Math.pow(10, e));
            trials.add(new Trial(Math.pow(10, e), acc));
            if (acc > bestAcc) {
                bestAcc = acc;
                bestExp = e;
            }
        }
        double step = options.coarseStep() / 2;
        for (int round = 0; round < options.refineRounds(); round++, step /= 2) {
            double centre = bestExp;
            for (double e : new double[] {centre - step, centre + step}) {
                if (e < options.minLog10C() - 1e-9 || e > options.maxLog10C() + 1e-9) continue;
                double acc = scoreOfC.applyAsDouble(Math.pow(10, e));
                trials.add(new Trial(Math.pow(10, e), acc));
                if (acc > bestAcc || (acc == bestAcc && e < bestExp)) {
                    bestAcc = acc;
                    bestExp = e;
                }
            }
        }
        return new Result(Math.pow(10, bestExp), bestAcc, List.copyOf(trials));
    }

    /**
     * Splits the training samples (stratified, seeded) into train/validation, searches C, and refits on all
     * training samples with the chosen C.
     */
    public static Fit fit(float[][] features, int[] labels, List<String> classNames, double validationFraction, long seed, Options options) {
        int[][] split = FewShotSampler.stratifiedSplit(labels, classNames.size(), validationFraction, seed);
        float[][] tx = select(features, split[0]), vx = select(features, split[1]);
        int[] ty = select(labels, split[0]), vy = select(labels, split[1]);
        Result r = search(new FeatureMatrix(tx, ty, classNames.size()), vx, vy, classNames, options);
        LogisticRegressionProbe probe = LogisticRegressionProbe.train(new FeatureMatrix(features, labels, classNames.size()), classNames, r.bestC(), options.lbfgs(), null);
        return new Fit(probe, r);
    }

    static float[][] select(float[][] rows, int[] idx) {
        float[][] out = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) out[i] = rows[idx[i]];
        return out;
    }

    static int[] select(int[] values, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = values[idx[i]];
        return out;
    }
}
