package io.flinkclip.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Writers replace a file whole: through a temporary file, following links, directly into pipes and devices. */
class FileReplacementTest {
    @TempDir Path dir;

    private static byte[] safetensorsBytes(StateDict sd) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(out, sd);
        return out.toByteArray();
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryOne() throws Exception {
        Path f = dir.resolve("m.safetensors");
        Files.writeString(f, "old");
        StateDict bad = new StateDict().put(new Tensor("x", DType.F32, new int[] {4}, new float[2], null)); // 2 values, shape says 4
        assertThrows(RuntimeException.class, () -> SafeTensors.write(f, bad));
        assertEquals("old", Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void aSymbolicLinkIsFollowedAndKept() throws Exception {
        Path real = dir.resolve("real.safetensors"), link = dir.resolve("link.safetensors");
        Files.writeString(real, "old");
        Files.createSymbolicLink(link, real);
        StateDict sd = SafeTensors.read(TestData.tinyVit());
        SafeTensors.write(link, sd);
        assertTrue(Files.isSymbolicLink(link), "the link is still a link");
        assertArrayEquals(safetensorsBytes(sd), Files.readAllBytes(real));
    }

    @Test
    void aPipeIsWrittenDirectly() throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo");
        StateDict sd = SafeTensors.read(TestData.tinyVit());
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        SafeTensors.write(fifo, sd);
        assertArrayEquals(safetensorsBytes(sd), read.get(30, TimeUnit.SECONDS));
        assertFalse(Files.isRegularFile(fifo), "the pipe was not replaced by a file");
        assertFalse(Files.exists(dir.resolve("pipe.tmp")));
    }
}
