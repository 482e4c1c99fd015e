package io.flinkclip.tasks.eval;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, drawn only when a terminal is attached (so logs and pipes stay clean).
 * Redraws at most ten times a second.
 */
public final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;

    private final String label;
    private final long total;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long done, lastDraw;

    private ProgressBar(String label, long total, PrintStream out) {
        this.label = label;
        this.total = Math.max(total, 0);
        this.out = out;
    }

    /** A bar on stderr if a console is attached and {@code enabled}; otherwise a silent one. */
    public static ProgressBar start(String label, long total, boolean enabled) {
        var console = System.console();
        boolean tty = console != null && console.isTerminal();
        return new ProgressBar(label, total, enabled && tty ? System.err : null);
    }

    /** For tests and callers with their own stream. */
    public static ProgressBar to(PrintStream out, String label, long total) {
        return new ProgressBar(label, total, out);
    }

    public synchronized void step(long n) {
        done = Math.min(total, done + n);
        long now = System.nanoTime();
        if (out != null && (now - lastDraw > 100_000_000L || done == total)) {
            lastDraw = now;
            out.print("\r" + render(now));
            out.flush();
        }
    }

    String render(long now) {
        double f = total == 0 ? 1 : done / (double) total;
        int filled = (int) Math.round(f * WIDTH);
        double secs = (now - startNanos) / 1e9;
        String rate = secs > 0 ? String.format("%.1f/s", done / secs) : "";
        return String.format("%s [%s%s] %3d%% %d/%d %s", label, "#".repeat(filled), " ".repeat(WIDTH - filled), Math.round(f * 100), done, total, rate);
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            out.print("\r" + render(System.nanoTime()) + System.lineSeparator());
            out.flush();
        }
    }
}
