package io.flinkclip.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo runs end to end (SQL and DataStream, embedded MiniCluster) with the built-in trained CLIP; both paths
 * classify every image, agree with each other, and the zero-shot accuracy is far above chance (10 %).
 */
class ClipDemoJobTest {
    private static final Pattern ACCURACY = Pattern.compile("(SQL CLIP_CLASSIFY|DataStream ClipStreams.classify): (\\d+)/60 images got their true label");

    @Test
    void demoClassifiesFashionMnistBothWays() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ClipDemoJob.main(new String[] {"--count", "60", "--parallelism", "2"});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        Matcher m = ACCURACY.matcher(out);
        int found = 0, first = -1;
        while (m.find()) {
            int correct = Integer.parseInt(m.group(2));
            assertTrue(correct >= 36, "zero-shot accuracy too low for a trained model: " + m.group());
            if (first < 0) first = correct;
            else assertEquals(first, correct, "SQL and DataStream disagree");
            found++;
        }
        assertEquals(2, found, out);
        assertTrue(out.contains("60/60 images classified"), out);
    }
}
