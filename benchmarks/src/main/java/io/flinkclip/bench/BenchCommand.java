package io.flinkclip.bench;

/**
 * The {@code bin/clip bench} entry points' error contract, as for every {@code bin/clip} command: a bad command line
 * or input (an {@link IllegalArgumentException}, or a {@link io.flinkclip.io.ClipFormatException} for a model name or
 * file) prints one line on stderr and exits with 2; anything else is a bug and keeps its stack trace.
 */
final class BenchCommand {
    private BenchCommand() {}

    /** A bench's body, given the command line. */
    interface Body {
        void run(String[] args) throws Exception;
    }

    static void main(String[] args, Body body) throws Exception {
        try {
            body.run(args);
        } catch (IllegalArgumentException | io.flinkclip.io.ClipFormatException e) {
            System.err.println("clip bench: error: " + e.getMessage());
            System.exit(2);
        }
    }
}
