package io.flinkclip.tasks.probe;

import java.util.ArrayList;
import java.util.List;

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
        List<Trial> trials = new ArrayList<>();
        double bestExp = Double.NaN, bestAcc = -1;
        LogisticRegressionProbe bestProbe = null, last = null;
        for (double e = options.minLog10C(); e <= options.maxLog10C() + 1e-9; e += options.coarseStep()) {
            LogisticRegressionProbe p = LogisticRegressionProbe.train(train, classNames, Math.pow(10, e), options.lbfgs(), last);
            double acc = p.accuracy(valFeatures, valLabels);
            trials.add(new Trial(p.c(), acc));
            last = p;
            if (acc > bestAcc) {
                bestAcc = acc;
                bestExp = e;
                bestProbe = p;
            }
        }
        double step = options.coarseStep() / 2;
        for (int round = 0; round < options.refineRounds(); round++, step /= 2) {
            double centre = bestExp;
            for (double e : new double[] {centre - step, centre + step}) {
                if (e < options.minLog10C() - 1e-9 || e > options.maxLog10C() + 1e-9) continue;
                LogisticRegressionProbe p = LogisticRegressionProbe.train(train, classNames, Math.pow(10, e), options.lbfgs(), bestProbe);
                double acc = p.accuracy(valFeatures, valLabels);
                trials.add(new Trial(p.c(), acc));
                if (acc > bestAcc || (acc == bestAcc && e < bestExp)) {
                    bestAcc = acc;
                    bestExp = e;
                    bestProbe = p;
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
