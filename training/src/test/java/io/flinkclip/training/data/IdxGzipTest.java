package io.flinkclip.training.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Debian ships the IDX files gzipped: they must read exactly as the plain files. */
class IdxGzipTest {
    static byte[] images(int n, int rows, int cols) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x803); d.writeInt(n); d.writeInt(rows); d.writeInt(cols);
        for (int i = 0; i < n * rows * cols; i++) d.writeByte(i * 7 + 3);
        return b.toByteArray();
    }

    static byte[] labels(int n) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x801); d.writeInt(n);
        for (int i = 0; i < n; i++) d.writeByte(i % 3);
        return b.toByteArray();
    }

    static void gzip(byte[] data, Path file) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) { o.write(data); }
    }

    @Test
    void gzippedFilesReadLikePlainOnes(@TempDir Path dir) throws IOException {
        byte[] im = images(5, 4, 3), lb = labels(5);
        Files.write(dir.resolve("i"), im);
        Files.write(dir.resolve("l"), lb);
        gzip(im, dir.resolve("i.gz"));
        gzip(lb, dir.resolve("l.gz"));
        List<String> classes = List.of("cat", "dog", "bag"), templates = List.of("a {}", "the {}.");
        IdxDataset plain = new IdxDataset(dir.resolve("i"), dir.resolve("l"), classes, templates);
        IdxDataset gz = new IdxDataset(dir.resolve("i.gz"), dir.resolve("l.gz"), classes, templates);
        assertEquals(5, gz.size());
        for (int i = 0; i < 5; i++) {
            RawPair a = plain.read(i), b = gz.read(i);
            assertArrayEquals(a.rgb, b.rgb);
            assertEquals(a.caption, b.caption);
            assertEquals(plain.label(i), gz.label(i));
        }
        assertEquals("the cat.", gz.read(3).caption);   // template 3 % 2, label 3 % 3
    }

    @Test
    void truncatedGzipFailsOnRead(@TempDir Path dir) throws IOException {
        byte[] im = images(5, 4, 3);
        gzip(java.util.Arrays.copyOf(im, im.length - 10), dir.resolve("i.gz"));
        gzip(labels(5), dir.resolve("l.gz"));
        IdxDataset gz = new IdxDataset(dir.resolve("i.gz"), dir.resolve("l.gz"), List.of("a", "b", "c"), List.of("{}"));
        assertThrows(java.io.UncheckedIOException.class, () -> gz.read(0));
    }
}
