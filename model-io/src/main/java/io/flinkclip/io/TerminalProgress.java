package io.flinkclip.io;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar with bytes, rate and ETA, redrawn with '\r' at most every 100 ms. Use
 * {@link #forConsole()}: it draws on stderr only when a terminal is attached, so logs and pipes stay clean.
 */
public final class TerminalProgress implements Progress {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;
    private final PrintStream out;
    private final LongSupplier clock;
    private String task = "";
    private long total, done, started, lastDraw = Long.MIN_VALUE;
    private int lastLength;

    public TerminalProgress(PrintStream out, LongSupplier nanoClock) {
        this.out = out;
        this.clock = nanoClock;
    }

    /** A bar on stderr when {@code System.console()} is present, otherwise {@link Progress#NONE}. */
    public static Progress forConsole() {
        return System.console() != null ? new TerminalProgress(System.err, System::nanoTime) : Progress.NONE;
    }

    @Override
    public synchronized void begin(String task, long totalBytes) {
        this.task = task;
        this.total = totalBytes;
        this.done = 0;
        this.started = clock.getAsLong();
        this.lastDraw = Long.MIN_VALUE;
        draw(false);
    }

    @Override
    public synchronized void advance(long bytes) {
        done += bytes;
        long now = clock.getAsLong();
        if (now - lastDraw >= REDRAW_NANOS) draw(false);
    }

    @Override
    public synchronized void end() {
        if (total > 0) done = Math.max(done, total);
        draw(true);
    }

    /** The line that would be drawn now (visible for tests). */
    synchronized String line() {
        long now = clock.getAsLong();
        double secs = Math.max(1e-9, (now - started) / 1e9);
        double rate = done / secs;
        StringBuilder sb = new StringBuilder(task).append(' ');
        if (total > 0) {
            double f = Math.min(1, (double) done / total);
            int fill = (int) Math.round(f * WIDTH);
            sb.append('[').append("#".repeat(fill)).append(" ".repeat(WIDTH - fill)).append("] ");
            sb.append(String.format(Locale.ROOT, "%3d%% %s/%s", (int) Math.floor(f * 100), bytes(done), bytes(total)));
        } else {
            sb.append(bytes(done));
        }
        if (done > 0 && now > started) sb.append(' ').append(bytes((long) rate)).append("/s");
        if (total > 0 && done > 0 && done < total) sb.append(" ETA ").append(duration((long) ((total - done) / rate)));
        return sb.toString();
    }

    private void draw(boolean last) {
        lastDraw = clock.getAsLong();
        String l = line();
        int pad = Math.max(0, lastLength - l.length()); // blank out the tail of a longer previous line
        out.print('\r' + l + " ".repeat(pad));
        lastLength = l.length();
        if (last) {
            out.println();
            lastLength = 0;
        }
        out.flush();
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String duration(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
