package io.flinkclip.bench;

import java.io.PrintStream;

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
        int status = run(args, body, System.err);
        if (status != 0) System.exit(status);
    }

    /** Runs body on args; a bad command line or input prints one line on {@code err} and gives 2, else 0. */
    static int run(String[] args, Body body, PrintStream err) throws Exception {
        try {
            body.run(args);
            return 0;
        } catch (IllegalArgumentException | io.flinkclip.io.ClipFormatException e) {
            err.println("clip bench: error: " + e.getMessage());
            return 2;
        }
    }

    /** The value of the option at args[i − 1], which is args[i]; a clear error when the command line ends first. */
    static String value(String[] args, int i) {
        if (i >= args.length) throw new IllegalArgumentException("option " + args[i - 1] + " needs a value");
        return args[i];
    }

    /** {@link #value} as an int, with the option named when it is not one. */
    static int intValue(String[] args, int i) { return parsed(args, i, Integer::parseInt, "an integer"); }

    /** {@link #value} as a double, with the option named when it is not a number. */
    static double doubleValue(String[] args, int i) { return parsed(args, i, Double::parseDouble, "a number"); }

    private static <T> T parsed(String[] args, int i, java.util.function.Function<String, T> parse, String what) {
        String v = value(args, i);
        try {
            return parse.apply(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + args[i - 1] + " needs " + what + ", got '" + v + "'");
        }
    }
}
