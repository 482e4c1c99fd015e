package io.flinkclip.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/clip bench}'s error contract on every entry point it dispatches to: a bad command line gives exit status 2
 * and one line {@code clip bench: error: …} naming the problem, before any benchmark work starts (each case must
 * finish within seconds; a command line that got past its checks would start minutes of measurement).
 */
class BenchCommandTest {
    private record Case(String bench, BenchCommand.Body body, String[] args, String expected) {}

    private static Case bad(String bench, BenchCommand.Body body, String expected, String... args) {
        return new Case(bench, body, args, expected);
    }

    @Test
    void badCommandLinesGiveOneErrorLineAndExitStatusTwo() throws Exception {
        Case[] cases = {
                bad("models", ClipBench::command, "unknown option --bogus", "--bogus"),
                bad("models", ClipBench::command, "option --models needs a value", "--models"),
                bad("models", ClipBench::command, "NoSuchModel", "--models", "ViT-B/32,NoSuchModel"),
                bad("models", ClipBench::command, "option --seconds needs a number, got 'abc'", "--seconds", "abc"),
                bad("models", ClipBench::command, "--weights-dtype must be f16 or f32", "--weights-dtype", "bf16"),
                bad("conv-chains", ConvChainBench::command, "option --rounds needs an integer, got '1.5'", "--conv-chains", "--rounds", "1.5"),
                bad("conv-chains", ConvChainBench::command, "--rounds must be at least 4", "--conv-chains", "--rounds", "2"),
                bad("layers", LayerProfile::command, "--weights FILE is required", "--layers", "--batch", "2"),
                bad("layers", LayerProfile::command, "option --weights needs a value", "--layers", "--weights"),
                bad("scaling", ThreadScaling::command, "--weights FILE is required", "--scaling"),
                bad("scaling", ThreadScaling::command, "--rounds ≥ 4", "--scaling", "--weights", "w.safetensors", "--rounds", "3"),
                bad("scaling", ThreadScaling::command, "unknown option --models", "--scaling", "--models", "RN50"),
                bad("train", TrainBench::command, "need --batch ≥ 2", "--train", "--batch", "1"),
                bad("train", TrainBench::command, "option --steps needs a value", "--train", "--steps"),
                bad("memory", PeakMemory::command, "no such weights file: missing.safetensors", "--memory", "--weights", "missing.safetensors"),
                bad("memory", PeakMemory::command, "NoSuchModel", "--memory", "--arch", "NoSuchModel"),
                bad("memory", PeakMemory::command, "--xmx needs a heap size such as 700m or 2g, got 'lots'", "--memory", "--xmx", "lots"),
                bad("memory", PeakMemory::command, "unknown option --rounds", "--memory", "--rounds", "3"),
                bad("load", LoadBench::command, "--weights FILE is required", "--load"),
                bad("load", LoadBench::command, "no such weights file: missing.safetensors", "--load", "--weights", "missing.safetensors"),
                bad("load", LoadBench::command, "option --rounds needs an integer, got 'x'", "--load", "--rounds", "x"),
                bad("load", LoadBench::command, "--switch must be one of", "--load", "--weights", "pom.xml", "--switch", "clip.load.nothing"),
        };
        for (Case c : cases) {
            String what = c.bench + " " + String.join(" ", c.args);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int status = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
                    return BenchCommand.run(c.args, c.body, err);
                }
            }, what);
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertEquals(2, status, what);
            assertTrue(out.startsWith("clip bench: error: ") && out.indexOf('\n') == out.length() - 1, what + ": not one error line: " + out);
            assertTrue(out.contains(c.expected), what + ": " + out);
        }
    }
}
