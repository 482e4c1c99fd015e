package io.flinkclip.cli;

import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.NativeModelFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** clip train end to end on the embedded MiniCluster: a tiny ViT from init over a gzipped IDX set. */
class TrainCommandTest {
    static final String TINY = "init:vit,res=16,patch=8,width=32,layers=1,embed=16,text-width=32,text-layers=1,context=8";
    @TempDir Path tmp;

    private static void gzip(Path file, int magic, int n, int rows, int cols) throws IOException {
        try (DataOutputStream d = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(file)))) {
            d.writeInt(magic);
            d.writeInt(n);
            if (magic == 0x803) {
                d.writeInt(rows);
                d.writeInt(cols);
                for (int i = 0; i < n * rows * cols; i++) d.writeByte((i * 31 + i / (rows * cols) * 97) & 0xFF);
            } else {
                for (int i = 0; i < n; i++) d.writeByte(i % 2);
            }
        }
    }

    private String[] args(Path out, String... more) throws IOException {
        gzip(tmp.resolve("img.gz"), 0x803, 12, 12, 12);
        gzip(tmp.resolve("lbl.gz"), 0x801, 12, 0, 0);
        Files.writeString(tmp.resolve("classes.txt"), "bag\ncoat\n");
        Files.writeString(tmp.resolve("templates.txt"), "a photo of a {}.\n{}\n");
        String[] base = {"train", "--model", TINY, "--vocab", ClipCliTest.VOCAB.toString(), "--out", out.toString(),
                "--idx-images", tmp.resolve("img.gz").toString(), "--idx-labels", tmp.resolve("lbl.gz").toString(),
                "--classes", tmp.resolve("classes.txt").toString(), "--templates", tmp.resolve("templates.txt").toString(),
                "--batch", "4", "--epochs", "1", "--warmup", "1", "--lr", "1e-3", "--save-every", "2"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void trainsOnTheMiniClusterAndWritesNativeModelsWithTrainingState() throws Exception {
        Path out = tmp.resolve("run");
        assertEquals(0, ClipCli.run(args(out)));
        NativeModel m = NativeModelFile.read(out.resolve("model-final.fclip"));
        assertEquals(3, m.training().step());   // 12 pairs / batch 4
        assertEquals(12L, m.training().dataPosition().get("pairs"));
        assertEquals(8, m.config().contextLength());
        assertTrue(m.vocab() != null);
        assertTrue(Files.exists(out.resolve("model-step-2.fclip")));
        assertTrue(Files.exists(out.resolve("metrics.csv")));
    }

    @Test
    void printsTheFlinkRunLine() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(0, ClipCli.run(args(tmp.resolve("r"), "--jobmanager", "jm.example:8081", "--print-flink-run")));
        } finally {
            System.setOut(old);
        }
        String line = buf.toString().strip();
        assertTrue(line.startsWith("flink run -m jm.example:8081 -c io.flinkclip.training.job.ClipTrainingJob "), line);
        assertTrue(line.contains("--model " + TINY) && !line.contains("--jobmanager"), line);
    }

    @Test
    void badOptionIsAUsageError() {
        assertEquals(1, ClipCli.run(new String[]{"train", "--model", TINY, "--frobnicate", "3"}));
    }
}
