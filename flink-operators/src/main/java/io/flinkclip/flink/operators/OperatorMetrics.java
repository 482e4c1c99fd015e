package io.flinkclip.flink.operators;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** The metrics of a CLIP operator, under the metric group "clip". */
final class OperatorMetrics {
    static final int HISTOGRAM_WINDOW = 1024;

    final Counter records;
    final Meter recordsPerSecond;
    final Histogram batchSize;
    final Histogram inferenceLatencyMs;
    final Counter badRecords;

    OperatorMetrics(MetricGroup parent) {
        MetricGroup g = parent.addGroup("clip");
        records = g.counter("records");
        recordsPerSecond = g.meter("recordsPerSecond", new MeterView(records));
        batchSize = g.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceLatencyMs = g.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        badRecords = g.counter("badRecords");
    }
}
