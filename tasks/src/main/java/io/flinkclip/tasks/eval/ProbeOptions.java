package io.flinkclip.tasks.eval;

import io.flinkclip.tasks.probe.RegularizationSearch;

/**
 * Linear-probe evaluation settings.
 *
 * @param shots samples per class for a k-shot probe (1, 2, 4, 8, 16 in the CLIP paper), 0 for all samples
 * @param seed seeds the k-shot sample and the validation split
 * @param validationFraction share of the training samples held out to choose C (full-data probes)
 * @param validationPerClass k-shot probes: validation samples per class, taken from the samples not drawn
 */
public record ProbeOptions(int shots, long seed, double validationFraction, int validationPerClass, RegularizationSearch.Options search) {
    public ProbeOptions {
        if (shots < 0) throw new IllegalArgumentException("shots must not be negative, got " + shots);
        if (!(validationFraction > 0 && validationFraction < 1)) throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
        if (validationPerClass < 1) throw new IllegalArgumentException("validationPerClass must be at least 1");
    }

    public static ProbeOptions defaults() { return new ProbeOptions(0, 0, 0.2, 50, RegularizationSearch.Options.defaults()); }

    public ProbeOptions withShots(int k, long seed) { return new ProbeOptions(k, seed, validationFraction, validationPerClass, search); }

    public ProbeOptions withSearch(RegularizationSearch.Options s) { return new ProbeOptions(shots, seed, validationFraction, validationPerClass, s); }
}
