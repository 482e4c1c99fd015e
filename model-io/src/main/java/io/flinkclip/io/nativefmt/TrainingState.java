package io.flinkclip.io.nativefmt;

import io.flinkclip.io.StateDict;

import java.util.Map;

/**
 * Everything beyond the weights needed to resume training.
 *
 * @param moments        optimizer slot (e.g. "exp_avg") → parameter name → moment tensor
 * @param dataPosition   reader positions, e.g. shard → records consumed
 * @param lossScale      mixed-precision loss scale, 0 when unused
 */
public record TrainingState(long step, double schedulePosition, String optimizer, Map<String, StateDict> moments,
                            byte[] rngState, Map<String, Long> dataPosition, float lossScale) {
    public TrainingState {
        moments = Map.copyOf(moments);
        dataPosition = Map.copyOf(dataPosition);
        rngState = rngState == null ? new byte[0] : rngState.clone();
        optimizer = optimizer == null ? "" : optimizer;
    }
}
