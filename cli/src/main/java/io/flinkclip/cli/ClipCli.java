package io.flinkclip.cli;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.kernels.device.DeviceException;
import io.flinkclip.model.image.ImageDecodeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code bin/clip}: one entry point, one sub-command per job. Other tools script this CLI, so its contract is
 * stable: options as documented in README.md, results to --out files or stdout, and every failure reported as
 * one line {@code clip <command>: error: <reason>} on stderr with exit code 1 (2 for a bad command line).
 */
public final class ClipCli {
    /** A sub-command: parses its own options and returns the process exit code. */
    interface Command {
        String summary();

        int run(String[] args) throws Exception;
    }

    static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("tokenize", new TokenizeCommand());
        COMMANDS.put("preprocess", new PreprocessCommand());
        COMMANDS.put("embed", new EmbedCommand());
        COMMANDS.put("classify", new ClassifyCommand());
        COMMANDS.put("init", new InitCommand());
        COMMANDS.put("grad", new GradCommand());
        COMMANDS.put("convert", new ConvertCommand());
        COMMANDS.put("eval", new EvalCommand());
        COMMANDS.put("train", new TrainCommand());
    }

    private ClipCli() {}

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            usage();
            return argv.length == 0 ? 2 : 0;
        }
        Command cmd = COMMANDS.get(argv[0]);
        if (cmd == null) {
            System.err.println("clip: error: unknown command '" + argv[0] + "' (try: clip help)");
            return 2;
        }
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        try {
            return cmd.run(rest);
        } catch (Args.UsageException e) {
            System.err.println("clip " + argv[0] + ": error: " + e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            System.err.println("clip " + argv[0] + ": error: no such file: " + e.getFile());
            return 1;
        } catch (UncheckedIOException e) {
            System.err.println("clip " + argv[0] + ": error: " + describe(e.getCause()));
            return 1;
        } catch (ClipFormatException | ImageDecodeException | DeviceException | IllegalArgumentException e) {
            System.err.println("clip " + argv[0] + ": error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            System.err.println("clip " + argv[0] + ": error: " + describe(e));
            return 1;
        } catch (OutOfMemoryError e) {
            System.err.println("clip " + argv[0] + ": error: out of memory (raise -Xmx via CLIP_JAVA_OPTS)");
            return 1;
        } catch (Exception e) {
            System.err.println("clip " + argv[0] + ": error: " + e);
            return 1;
        }
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) return "no such file: " + n.getFile();
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static void usage() {
        System.err.println("usage: clip <command> [options]\n\ncommands:");
        COMMANDS.forEach((name, c) -> System.err.printf("  %-11s %s%n", name, c.summary()));
        System.err.println("\nSee README.md for each command's options.");
    }
}
