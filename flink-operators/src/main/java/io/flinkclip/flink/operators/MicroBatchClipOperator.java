package io.flinkclip.flink.operators;

import com.google.protobuf.InvalidProtocolBufferException;
import io.flinkclip.flink.BadRecord;
import io.flinkclip.flink.ControlApplied;
import io.flinkclip.flink.SharedClipModels;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.flink.control.proto.ControlMessage;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;

/**
 * Runs a {@link BatchInference} over micro-batches of input 1, with live control updates from input 2
 * (serialized {@link ControlMessage}s on a broadcast stream).
 *
 * <p>Batching: records are buffered and inferred together when the batch is full, when the oldest buffered
 * record has waited {@code maxDelayMs} (processing-time timer), before every checkpoint barrier, before a
 * control message is applied, and at end of input. Because the buffer is always empty when a snapshot is
 * taken, it needs no state of its own. A watermark that arrives while records are buffered is held back and
 * emitted right after they are, so it never overtakes them.
 *
 * <p>Control: a message applies to every record that arrives after it (buffered records are flushed with the
 * old state first). The effective state lives in broadcast state and so survives checkpoint and restore.
 */
public class MicroBatchClipOperator<IN, OUT> extends AbstractStreamOperator<OUT>
        implements TwoInputStreamOperator<IN, byte[], OUT>, BoundedMultiInput {
    private static final long serialVersionUID = 1L;
    static final MapStateDescriptor<String, byte[]> CONTROL_STATE =
            new MapStateDescriptor<>("clip-control", Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    private static final String CONTROL_KEY = "control";

    private final BatchInference<IN, OUT> inference;
    private final byte[] initialControl;
    private final int maxBatchSize;
    private final long maxDelayMs;
    private final OutputTag<BadRecord> badRecords;
    private final OutputTag<ControlApplied> controlApplied;

    private transient BroadcastState<String, byte[]> controlState;
    private transient ControlState control;
    private transient SharedClipModels.Lease model;
    private transient List<StreamRecord<IN>> buffer;
    private transient ScheduledFuture<?> flushTimer;
    private transient Watermark heldWatermark;
    private transient OperatorMetrics metrics;

    public MicroBatchClipOperator(BatchInference<IN, OUT> inference, ControlState initialControl, int maxBatchSize,
                                  long maxDelayMs, OutputTag<BadRecord> badRecords, OutputTag<ControlApplied> controlApplied) {
        if (maxBatchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + maxBatchSize);
        if (maxDelayMs < 0) throw new IllegalArgumentException("max delay must be >= 0 ms, got " + maxDelayMs);
        this.inference = inference;
        this.initialControl = initialControl.toBytes();
        this.maxBatchSize = maxBatchSize;
        this.maxDelayMs = maxDelayMs;
        this.badRecords = badRecords;
        this.controlApplied = controlApplied;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        controlState = context.getOperatorStateStore().getBroadcastState(CONTROL_STATE);
        byte[] restored = controlState.get(CONTROL_KEY);
        control = ControlState.fromBytes(restored != null ? restored : initialControl);
        if (restored == null) controlState.put(CONTROL_KEY, initialControl);
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>(maxBatchSize);
        metrics = new OperatorMetrics(getMetricGroup());
        model = SharedClipModels.acquire(control.modelLocation());
    }

    @Override
    public void processElement1(StreamRecord<IN> element) throws Exception {
        buffer.add(element);
        if (buffer.size() >= maxBatchSize) {
            flush();
        } else if (flushTimer == null) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            flushTimer = getProcessingTimeService().registerTimer(now + maxDelayMs, t -> {
                flushTimer = null;
                flush();
            });
        }
    }

    @Override
    public void processElement2(StreamRecord<byte[]> element) throws Exception {
        ControlMessage message;
        ControlState next;
        try {
            message = ControlMessage.parseFrom(element.getValue());
            if (!control.accepts(message)) return;
            next = control.apply(message);
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            reportBad("control", "invalid control message: " + e.getMessage(), element);
            return;
        }
        flush();
        if (!next.modelLocation().equals(control.modelLocation())) {
            SharedClipModels.Lease loaded;
            try {
                loaded = SharedClipModels.acquire(next.modelLocation());
            } catch (RuntimeException e) {
                // a bad model location must not take the job down: keep serving with the current model
                reportBad("control", "cannot load model '" + next.modelLocation() + "' (control version " + next.version()
                        + "), keeping '" + control.modelLocation() + "': " + e.getMessage(), element);
                return;
            }
            model.close();
            model = loaded;
        }
        control = next;
        controlState.put(CONTROL_KEY, next.toBytes());
        inference.reset();
        output.collect(controlApplied, new StreamRecord<>(
                new ControlApplied(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), next.version())));
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        if (buffer.isEmpty()) output.emitWatermark(mark);
        else heldWatermark = mark;
    }

    /** The control stream carries no event time: its watermarks must not hold back the data's. */
    @Override
    public void processWatermark2(Watermark mark) {}

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void endInput(int inputId) throws Exception {
        if (inputId == 1) flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (flushTimer != null) flushTimer.cancel(false);
            if (model != null) model.close();
        } finally {
            super.close();
        }
    }

    private void flush() {
        if (flushTimer != null) {
            flushTimer.cancel(false);
            flushTimer = null;
        }
        if (!buffer.isEmpty()) {
            List<StreamRecord<IN>> batch = buffer;
            buffer = new ArrayList<>(maxBatchSize);
            List<IN> values = new ArrayList<>(batch.size());
            for (StreamRecord<IN> r : batch) values.add(r.getValue());
            long start = System.nanoTime();
            inference.run(model.clip(), control, values, new BatchInference.Results<>() {
                @Override
                public void emit(int index, OUT value) {
                    output.collect(batch.get(index).replace(value));
                }

                @Override
                public void bad(int index, String reason) {
                    reportBad(inference.keyOf(values.get(index)), reason, batch.get(index));
                }
            });
            metrics.inferenceLatencyMs.update((System.nanoTime() - start) / 1_000_000);
            metrics.batchSize.update(batch.size());
            metrics.records.inc(batch.size());
        }
        if (heldWatermark != null) {
            output.emitWatermark(heldWatermark);
            heldWatermark = null;
        }
    }

    private void reportBad(String key, String reason, StreamRecord<?> source) {
        metrics.badRecords.inc();
        StreamRecord<BadRecord> bad = source.hasTimestamp()
                ? new StreamRecord<>(new BadRecord(key, reason), source.getTimestamp())
                : new StreamRecord<>(new BadRecord(key, reason));
        output.collect(badRecords, bad);
    }
}
