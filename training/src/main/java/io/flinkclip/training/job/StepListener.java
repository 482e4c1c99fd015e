package io.flinkclip.training.job;

import java.io.Serializable;

/** Hook called by the trainer after each step (monitoring, tests that inject failures). */
@FunctionalInterface
public interface StepListener extends Serializable {
    /** @param lastCheckpointedStep the step recorded by the newest completed checkpoint of this attempt, or -1 */
    void afterStep(long step, long lastCheckpointedStep) throws Exception;
}
