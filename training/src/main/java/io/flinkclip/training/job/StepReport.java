package io.flinkclip.training.job;

/** One training step's numbers, emitted downstream of the trainer (POJO for Flink). */
public class StepReport {
    public long step, totalSteps;
    public double loss, lr, logitScale, gradNorm, pairsPerSecond;

    public StepReport() {}

    public String progressLine() {
        return String.format("step %d/%d  loss %.4f  lr %.3g  logit scale %.3f  |g| %.3g  %.1f pairs/s",
                step, totalSteps, loss, lr, logitScale, gradNorm, pairsPerSecond);
    }
}
