package io.flinkclip.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo runs end to end (SQL and DataStream, embedded MiniCluster) and labels every synthetic image. */
class ClipDemoJobTest {
    @Test
    void demoClassifiesSyntheticImagesBothWays() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ClipDemoJob.main(new String[] {"--count", "12", "--parallelism", "2"});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        assertTrue(out.contains("SQL CLIP_CLASSIFY: 12/12 synthetic images got their colour label"), out);
        assertTrue(out.contains("DataStream ClipStreams.classify: 12/12 synthetic images got their colour label"), out);
    }
}
