package io.flinkclip.training.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WebDatasetShardsTest {
    /** Minimal ustar writer for test shards (plus an optional GNU long-name member). */
    static void member(ByteArrayOutputStream out, String name, byte[] data, char type) throws IOException {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(100, n.length));
        byte[] size = String.format("%011o", data.length).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, h, 124, 11);
        h[156] = (byte) type;
        System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 5);
        out.write(h);
        out.write(data);
        out.write(new byte[(512 - data.length % 512) % 512]);
    }

    @Test
    void pairsImagesWithCaptionsByKey(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        member(t, "s/0001.jpg", new byte[]{1, 2, 3}, '0');
        member(t, "s/0001.txt", "a dog\n".getBytes(StandardCharsets.UTF_8), '0');
        member(t, "s/0002.png", new byte[700], '0');          // no caption: not a pair
        member(t, "s/0003.json", "{}".getBytes(StandardCharsets.UTF_8), '0');
        String longName = "s/" + "x".repeat(120);
        member(t, "././@LongLink", (longName + ".txt\0").getBytes(StandardCharsets.UTF_8), 'L');
        member(t, "ignored", "long caption".getBytes(StandardCharsets.UTF_8), '0');
        member(t, "././@LongLink", (longName + ".png\0").getBytes(StandardCharsets.UTF_8), 'L');
        member(t, "also-ignored", new byte[]{7}, '0');
        t.write(new byte[1024]);
        Path shard = dir.resolve("shard-0.tar");
        Files.write(shard, t.toByteArray());
        WebDatasetShards ds = new WebDatasetShards(List.of(shard));
        assertEquals(2, ds.size());
        assertEquals("a dog", ds.read(0).caption);
        assertArrayEquals(new byte[]{1, 2, 3}, ds.read(0).encoded);
        assertEquals("long caption", ds.read(1).caption);
        assertArrayEquals(new byte[]{7}, ds.read(1).encoded);
    }

    @Test
    void rejectsShardsWithoutPairsOrTruncated(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        member(t, "a.json", new byte[3], '0');
        Files.write(dir.resolve("e.tar"), t.toByteArray());
        assertThrows(IllegalArgumentException.class, () -> new WebDatasetShards(List.of(dir.resolve("e.tar"))));
        ByteArrayOutputStream u = new ByteArrayOutputStream();
        member(u, "a.jpg", new byte[2000], '0');
        byte[] cut = java.util.Arrays.copyOf(u.toByteArray(), 1000);
        Files.write(dir.resolve("cut.tar"), cut);
        assertThrows(IllegalArgumentException.class, () -> new WebDatasetShards(List.of(dir.resolve("cut.tar"))));
    }
}
