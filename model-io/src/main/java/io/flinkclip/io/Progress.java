package io.flinkclip.io;

/** Receives byte progress of long reads, writes and conversions. Implementations must be cheap per call. */
public interface Progress {
    /** A new phase ("reading", "writing …") of {@code totalBytes} bytes (≤ 0 when unknown). */
    void begin(String task, long totalBytes);

    /** {@code bytes} more were processed in the current phase. */
    void advance(long bytes);

    /** The current phase is complete. */
    void end();

    /** A terminal progress bar on stderr when a console is attached, otherwise {@link #NONE}. */
    static Progress console() { return TerminalProgress.forConsole(); }

    Progress NONE = new Progress() {
        @Override public void begin(String task, long totalBytes) { }
        @Override public void advance(long bytes) { }
        @Override public void end() { }
    };
}
