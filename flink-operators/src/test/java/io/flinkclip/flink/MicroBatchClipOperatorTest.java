package io.flinkclip.flink;

import io.flinkclip.flink.control.ControlMessages;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.flink.operators.Classify;
import io.flinkclip.flink.operators.MicroBatchClipOperator;
import io.flinkclip.flink.testing.FakeClipModelProvider;
import io.flinkclip.flink.testing.Images;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batching, watermark holding, checkpoint flushing and control-state restore, on the operator test harness. */
class MicroBatchClipOperatorTest {
    private static TwoInputStreamOperatorTestHarness<ImageRecord, byte[], Classification> harness(int batch, long delayMs) throws Exception {
        ControlState initial = ControlState.initial(FakeClipModelProvider.PLAIN, List.of("red", "green", "blue"), List.of(), List.of());
        var op = new MicroBatchClipOperator<>(new Classify(2), initial, batch, delayMs, ClipStreams.BAD_RECORDS, ClipStreams.CONTROL_APPLIED);
        return new TwoInputStreamOperatorTestHarness<>(op);
    }

    private static List<String> labels(TwoInputStreamOperatorTestHarness<?, ?, Classification> h) {
        return h.extractOutputValues().stream().map(Classification::label).toList();
    }

    @Test
    void flushesWhenBatchIsFullOrOnTimeout() throws Exception {
        try (var h = harness(3, 100)) {
            h.open();
            h.setProcessingTime(0);
            h.processElement1(new ImageRecord("a", Images.red()), 1);
            h.processElement1(new ImageRecord("b", Images.green()), 2);
            assertTrue(h.extractOutputValues().isEmpty(), "2 of 3 buffered");
            h.processElement1(new ImageRecord("c", Images.blue()), 3);
            assertEquals(List.of("red", "green", "blue"), labels(h));

            h.processElement1(new ImageRecord("d", Images.red()), 4);
            h.setProcessingTime(99);
            assertEquals(3, h.extractOutputValues().size());
            h.setProcessingTime(100);
            assertEquals(List.of("red", "green", "blue", "red"), labels(h));
            // timestamps are kept
            assertEquals(List.of(1L, 2L, 3L, 4L), h.extractOutputStreamRecords().stream().map(StreamRecord::getTimestamp).toList());
            assertEquals(2, h.extractOutputValues().get(0).top().length);
        }
    }

    @Test
    void watermarkWaitsForBufferedRecords() throws Exception {
        try (var h = harness(10, 1000)) {
            h.open();
            h.processElement1(new ImageRecord("a", Images.red()), 5);
            h.processWatermark1(new Watermark(10));
            h.processWatermark2(new Watermark(Long.MAX_VALUE)); // control-side watermarks are ignored
            assertTrue(h.getOutput().isEmpty(), "watermark must not overtake the buffered record");
            h.prepareSnapshotPreBarrier(1);
            List<Object> out = new ArrayList<>(h.getOutput());
            assertEquals(2, out.size());
            assertInstanceOf(StreamRecord.class, out.get(0));
            assertEquals(new Watermark(10), out.get(1));
            // with an empty buffer a watermark passes straight through
            h.processWatermark1(new Watermark(20));
            assertEquals(new Watermark(20), new ArrayList<>(h.getOutput()).get(2));
        }
    }

    @Test
    void badRecordsGoToSideOutputAndJobContinues() throws Exception {
        try (var h = harness(4, 1000)) {
            h.open();
            h.processElement1(new ImageRecord("garbage", Images.garbage()), 1);
            h.processElement1(new ImageRecord("tiny", Images.tiny()), 2);
            h.processElement1(new ImageRecord("empty", new byte[0]), 3);
            h.processElement1(new ImageRecord("ok", Images.green()), 4);
            assertEquals(List.of("green"), labels(h));
            var bad = h.getSideOutput(ClipStreams.BAD_RECORDS).stream().map(StreamRecord::getValue).toList();
            assertEquals(List.of("garbage", "tiny", "empty"), bad.stream().map(BadRecord::key).toList());
            assertTrue(bad.get(0).reason().startsWith("undecodable image"), bad.get(0).reason());
            assertTrue(bad.get(1).reason().contains("too small"), bad.get(1).reason());
            assertEquals("empty image", bad.get(2).reason());
        }
    }

    @Test
    void controlAppliesToLaterRecordsAndSurvivesRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness(10, 1000)) {
            h.open();
            h.processElement1(new ImageRecord("before", Images.red()), 1);
            h.processElement2(ControlMessages.labels(1, List.of("green", "blue"), List.of("a photo of a {}.")), 2);
            h.processElement2(new byte[] {(byte) 0xff, 1, 2}, 2); // garbage control message: reported, ignored
            h.processElement1(new ImageRecord("after", Images.green()), 3);
            h.processElement2(ControlMessages.labels(1, List.of("red"), List.of()), 3); // stale version: ignored
            h.endInput1();
            List<Classification> out = h.extractOutputValues();
            assertEquals("red", out.get(0).label());
            assertEquals(0, out.get(0).controlVersion());
            assertEquals("green", out.get(1).label());
            assertEquals(1, out.get(1).controlVersion());
            assertEquals(1, h.getSideOutput(ClipStreams.CONTROL_APPLIED).size());
            assertEquals("control", h.getSideOutput(ClipStreams.BAD_RECORDS).peek().getValue().key());
            snapshot = h.snapshot(1, 10);
        }
        try (var h = harness(10, 1000)) {
            h.initializeState(snapshot);
            h.open();
            h.processElement1(new ImageRecord("restored", Images.red()), 1);
            h.endInput1();
            Classification c = h.extractOutputValues().get(0);
            assertEquals(1, c.controlVersion(), "restored label set, not the configured one");
            assertTrue(List.of("green", "blue").contains(c.label()));
        }
    }

    @Test
    void modelSwitchAndSharedRegistry() throws Exception {
        // counted relative to what other tests in this JVM might still hold
        String plain = FakeClipModelProvider.PLAIN, swapped = FakeClipModelProvider.SWAPPED;
        int plain0 = SharedClipModels.references(plain), swapped0 = SharedClipModels.references(swapped);
        try (var h1 = harness(1, 1000); var h2 = harness(1, 1000)) {
            h1.open();
            h2.open();
            assertEquals(plain0 + 2, SharedClipModels.references(plain), "one model instance, two holders");
            h1.processElement2(ControlMessages.model(1, swapped), 1);
            assertEquals(plain0 + 1, SharedClipModels.references(plain));
            assertEquals(swapped0 + 1, SharedClipModels.references(swapped));
            h1.processElement1(new ImageRecord("r", Images.red()), 2);
            h2.processElement2(ControlMessages.model(1, "fake:does-not-exist"), 2);
            assertTrue(h2.getSideOutput(ClipStreams.BAD_RECORDS).peek().getValue().reason().startsWith("cannot load model 'fake:does-not-exist'"));
            assertEquals("blue", h1.extractOutputValues().get(0).label(), "swapped model sees red as blue");
            h2.processElement1(new ImageRecord("r", Images.red()), 3);
            assertEquals("red", h2.extractOutputValues().get(0).label(), "h2 kept its model");
            assertEquals(0, h2.extractOutputValues().get(0).controlVersion(), "the rejected message did not apply");
        }
        assertEquals(plain0, SharedClipModels.references(plain), "released on close");
        assertEquals(swapped0, SharedClipModels.references(swapped));
    }
}
