package io.flinkclip.io;

import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.NativeModelFile;
import io.flinkclip.io.nativefmt.NativeModelWriter;
import io.flinkclip.io.nativefmt.Preprocessing;
import io.flinkclip.io.nativefmt.Provenance;
import io.flinkclip.io.nativefmt.TrainingState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded random corruption of small native and safetensors files: byte flips (biased towards the header),
 * truncations, extensions and overwritten runs. Reading must either succeed or throw ClipFormatException —
 * never another exception, an out-of-memory or a hang.
 */
class FormatFuzzTest {
    private static final int ITERATIONS = 2500;
    @TempDir Path dir;

    static NativeModel smallModel() {
        List<String> merges = new ArrayList<>();
        for (int i = 0; i < 20; i++) merges.add(Character.toString('a' + i) + " " + Character.toString('b' + i));
        BpeVocab vocab = new BpeVocab(merges, BpeVocab.OPENAI_SPECIALS, 8);
        ClipConfig c = new ClipConfig(8, 16, new int[] {1}, 16, 8, 1, 8, vocab.vocabSize(), 16, 1, 1);
        StateDict w = ClipInit.initialize(c, 3);
        StateDict m = new StateDict();
        m.put(w.get("visual.proj"));
        TrainingState ts = new TrainingState(5, 0.5, "adamw", Map.of("exp_avg", m), new byte[] {9, 8}, Map.of("s", 1L), 2f);
        return new NativeModel(c, w, Preprocessing.openAi(16), vocab, Provenance.now("fuzz", "init"), ts);
    }

    @Test
    void corruptNativeFilesOnlyEverThrowClipFormatException() throws Exception {
        Path f = dir.resolve("small.fclip");
        NativeModelWriter.write(f, smallModel(), io.flinkclip.io.DType.F16, Progress.NONE);
        byte[] good = Files.readAllBytes(f);
        fuzz(good, 1, bytes -> {
            try (NativeModelFile nf = NativeModelFile.open(MemorySegment.ofArray(bytes), "fuzz")) {
                nf.readAll(Progress.NONE);
            }
        });
    }

    @Test
    void corruptSafetensorsOnlyEverThrowClipFormatException() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StateDict sd = smallModel().weights();
        sd.metadata().put("format", "pt");
        SafeTensors.write(out, sd);
        fuzz(out.toByteArray(), 2, bytes -> SafeTensors.read(bytes, "fuzz"));
    }

    /** The file readers that decode on demand: the header is checked at open, every tensor when it is taken. */
    @Test
    void corruptFilesReadOnDemandOnlyEverThrowClipFormatException() throws Exception {
        Path nat = dir.resolve("small.fclip"), st = dir.resolve("small.safetensors"), probe = dir.resolve("probe");
        NativeModelWriter.write(nat, smallModel(), io.flinkclip.io.DType.F16, Progress.NONE);
        StateDict sd = smallModel().weights();
        SafeTensors.write(st, sd);
        fuzz(Files.readAllBytes(nat), 3, bytes -> {
            write(probe, bytes);
            NativeModelFile.readPending(probe).weights().decodeAll();
        });
        fuzz(Files.readAllBytes(st), 4, bytes -> {
            write(probe, bytes);
            SafeTensors.open(probe).decodeAll();
        });
    }

    private static void write(Path f, byte[] bytes) {
        try {
            Files.write(f, bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void fuzz(byte[] good, long seed, Consumer<byte[]> reader) {
        reader.accept(good); // the intact file reads
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom r = new SplittableRandom(seed);
            int headerZone = Math.min(good.length, 4096);
            for (int it = 0; it < ITERATIONS; it++) {
                byte[] b = mutate(good, r, headerZone);
                try {
                    reader.accept(b);
                    outcomes[0]++;
                } catch (ClipFormatException expected) {
                    outcomes[1]++;
                } catch (Throwable t) {
                    throw new AssertionError("iteration " + it + " (seed " + seed + ", " + b.length + " bytes) escaped with " + t, t);
                }
            }
        });
        assertTrue(outcomes[1] > ITERATIONS / 4, "most corruptions must be detected: " + Arrays.toString(outcomes));
    }

    private static byte[] mutate(byte[] good, SplittableRandom r, int headerZone) {
        switch (r.nextInt(5)) {
            case 0 -> { return Arrays.copyOf(good, r.nextInt(good.length)); } // truncation
            case 1 -> { // junk appended
                byte[] b = Arrays.copyOf(good, good.length + 1 + r.nextInt(200));
                for (int i = good.length; i < b.length; i++) b[i] = (byte) r.nextInt(256);
                return b;
            }
            case 2 -> { // a run overwritten with 0x00 or 0xFF inside the header
                byte[] b = good.clone();
                int at = r.nextInt(headerZone), len = 1 + r.nextInt(8);
                byte v = r.nextBoolean() ? 0 : (byte) 0xff;
                for (int i = at; i < Math.min(b.length, at + len); i++) b[i] = v;
                return b;
            }
            default -> { // 1–8 random bit flips, mostly in the header
                byte[] b = good.clone();
                int flips = 1 + r.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt(headerZone);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            }
        }
    }
}
