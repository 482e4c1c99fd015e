package io.flinkclip.training.optim;

import java.io.Serializable;

/**
 * open_clip's {@code cosine_lr}: for step &lt; warmup, lr = base·(step + 1)/warmup; after it,
 * lr = ½(1 + cos(π·(step − warmup)/(total − warmup)))·base. Steps count from 0.
 */
public record CosineSchedule(double baseLr, long warmupSteps, long totalSteps) implements Serializable {
    public CosineSchedule {
        if (!(baseLr >= 0) || warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("need base lr ≥ 0 and 0 ≤ warmup < total, got " + baseLr + ", " + warmupSteps + ", " + totalSteps);
        }
    }

    public double lr(long step) {
        if (step < warmupSteps) return baseLr * (step + 1) / warmupSteps;
        double e = step - warmupSteps, es = totalSteps - warmupSteps;
        return 0.5 * (1 + Math.cos(Math.PI * e / es)) * baseLr;
    }
}
