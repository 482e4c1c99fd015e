package io.flinkclip.flink.operators;

import io.flinkclip.flink.control.ControlState;
import io.flinkclip.model.Clip;

import java.io.Serializable;
import java.util.List;

/**
 * What a {@link MicroBatchClipOperator} computes for one batch. Instances are serialized into the job graph;
 * caches (class embeddings, query embeddings) are transient and rebuilt after {@link #reset()}.
 */
public interface BatchInference<IN, OUT> extends Serializable {
    /** Receives results; {@code index} is the record's position in the batch. */
    interface Results<OUT> {
        void emit(int index, OUT value);

        void bad(int index, String reason);
    }

    /** The key reported for a record in bad-record output. */
    String keyOf(IN record);

    /** Processes a whole batch; per-record problems go to {@link Results#bad}, never as exceptions. */
    void run(Clip clip, ControlState control, List<IN> batch, Results<OUT> out);

    /** Drops caches derived from the control state or model (called after every applied control message). */
    default void reset() {}
}
