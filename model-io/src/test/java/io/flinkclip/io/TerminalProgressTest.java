package io.flinkclip.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class TerminalProgressTest {
    @Test
    void drawsBytesPercentRateAndEta() {
        AtomicLong now = new AtomicLong();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TerminalProgress p = new TerminalProgress(new PrintStream(buf, true, StandardCharsets.UTF_8), now::get);
        p.begin("writing m.fclip", 100L << 20);
        now.set(2_000_000_000L);
        p.advance(25L << 20);
        String l = p.line();
        assertTrue(l.startsWith("writing m.fclip ["), l);
        assertTrue(l.contains(" 25% 25.0 MiB/100.0 MiB"), l);
        assertTrue(l.contains("12.5 MiB/s"), l);
        assertTrue(l.contains("ETA 0:06"), l);
        now.set(2_050_000_000L);
        p.advance(1); // within 100 ms: no redraw
        int before = buf.size();
        p.advance(1);
        assertEquals(before, buf.size());
        p.end();
        String all = buf.toString(StandardCharsets.UTF_8);
        assertTrue(all.endsWith(System.lineSeparator()), "the last draw ends the line");
        assertTrue(all.contains("100%"), all);
    }

    @Test
    void unknownTotalAndFormatting() {
        AtomicLong now = new AtomicLong();
        TerminalProgress p = new TerminalProgress(new PrintStream(new ByteArrayOutputStream()), now::get);
        p.begin("downloading", -1);
        now.set(1_000_000_000L);
        p.advance(3000);
        assertEquals("downloading 2.9 KiB 2.9 KiB/s", p.line());
        assertEquals("1:01:01", TerminalProgress.duration(3661));
        assertEquals("512 B", TerminalProgress.bytes(512));
        assertEquals("1.5 GiB", TerminalProgress.bytes(3L << 29));
    }
}
