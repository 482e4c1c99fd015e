package io.flinkclip.training.job;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.io.PrintStream;

/** Prints one progress line per step to stderr (carriage return in place on a terminal, a line each otherwise). */
public final class ProgressSink implements Sink<StepReport> {
    @Override
    public SinkWriter<StepReport> createWriter(WriterInitContext context) {
        PrintStream err = System.err;
        boolean tty = System.console() != null;
        return new SinkWriter<>() {
            @Override
            public void write(StepReport r, Context ctx) {
                if (tty) err.print("\r" + r.progressLine() + (r.step == r.totalSteps ? "\n" : ""));
                else err.println(r.progressLine());
            }

            @Override public void flush(boolean endOfInput) { err.flush(); }

            @Override public void close() { if (tty) err.println(); }
        };
    }
}
