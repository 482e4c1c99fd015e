package io.flinkclip.tasks.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class IdxFileTest {
    @TempDir
    Path dir;

    /** A hand-made IDX header: 00 00 type ndims, then big-endian int32 sizes. */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void parsesAHandMadeFileRawAndGzipped() throws IOException {
        byte[] data = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255};
        byte[] raw = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255};
        assertArrayEquals(raw, idx(8, new int[] {2, 2, 3}, data)); // the helper writes what the format says
        for (Path p : List.of(write("a-idx3-ubyte", raw), write("a-idx3-ubyte.gz", gzip(raw)))) {
            IdxFile f = IdxFile.read(p);
            assertArrayEquals(new int[] {2, 2, 3}, f.dims());
            assertArrayEquals(data, f.data());
            assertEquals(2, f.count());
        }
    }

    private void assertRejected(byte[] bytes, String messagePart) throws IOException {
        Path p = write("bad", bytes);
        IOException e = assertThrows(IOException.class, () -> IdxFile.read(p));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        Path g = write("bad.gz", gzip(bytes));
        IOException e2 = assertThrows(IOException.class, () -> IdxFile.read(g));
        assertTrue(e2.getMessage().contains(messagePart) || e2.getMessage().contains("truncated"), e2.getMessage());
    }

    @Test
    void malformedHeadersAreRejected() throws IOException {
        byte[] ok = idx(8, new int[] {2, 2}, new byte[4]);
        byte[] magic = ok.clone();
        magic[0] = 1;
        assertRejected(magic, "magic");
        assertRejected(idx(0x0D, new int[] {1}, new byte[4]), "not supported");
        assertRejected(idx(8, new int[0], new byte[0]), "0 dimensions");
        assertRejected(idx(8, new int[] {1, 2, 3, 4, 5}, new byte[120]), "5 dimensions");
        assertRejected(idx(8, new int[] {-1, 2}, new byte[4]), "negative");
        assertRejected(idx(8, new int[] {65536, 65536}, new byte[4]), "too large");
        assertRejected(new byte[] {0, 0, 8}, "truncated header");
        assertRejected(new byte[] {0, 0, 8, 2, 0, 0}, "truncated header");
        assertRejected(idx(8, new int[] {2, 3}, new byte[5]), "6");
        assertRejected(idx(8, new int[] {2, 2}, new byte[5]), "trailing");
    }

    @Test
    void aLyingHeaderCannotForceAHugeAllocation() throws IOException {
        // claims 60000 × 28 × 28 (47 MB) but holds 10 bytes: raw files fail on the size check,
        // gzip files while reading
        byte[] liar = idx(8, new int[] {60000, 28, 28}, new byte[10]);
        Path raw = write("liar", liar);
        assertTrue(assertThrows(IOException.class, () -> IdxFile.read(raw)).getMessage().contains("needs 47040000"));
        Path gz = write("liar.gz", gzip(liar));
        assertTrue(assertThrows(IOException.class, () -> IdxFile.read(gz)).getMessage().contains("truncated"));
    }

    @Test
    void datasetTurnsSamplesIntoRgbPngs() throws IOException {
        byte[] pixels = {0, 50, 100, (byte) 150, (byte) 200, (byte) 255, 7, 7, 7, 7, 7, 7};
        write("train-images-idx3-ubyte.gz", gzip(idx(8, new int[] {2, 3, 2}, pixels)));
        write("train-labels-idx1-ubyte", idx(8, new int[] {2}, new byte[] {9, 0}));
        IdxDataset ds = IdxDataset.fashionMnist(dir, true);
        assertEquals(2, ds.size());
        assertEquals(3, ds.rows());
        assertEquals(2, ds.cols());
        assertEquals(9, ds.label(0));
        assertEquals("Ankle boot", ds.classNames().get(ds.label(0)));
        BufferedImage im = ImageIO.read(new ByteArrayInputStream(ds.image(0)));
        assertEquals(2, im.getWidth());
        assertEquals(3, im.getHeight());
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 2; x++) {
                int v = pixels[y * 2 + x] & 0xff, rgb = im.getRGB(x, y) & 0xffffff;
                assertEquals((v << 16) | (v << 8) | v, rgb, "pixel " + x + "," + y);
            }
        }
        assertArrayEquals(new byte[] {7, 7, 7, 7, 7, 7}, ds.grey(1));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.image(2));
        assertThrows(IOException.class, () -> IdxDataset.fashionMnist(dir, false));
    }

    @Test
    void datasetChecksLabelsAgainstImages() throws IOException {
        Path images = write("i", idx(8, new int[] {2, 1, 1}, new byte[2]));
        Path fewer = write("l1", idx(8, new int[] {1}, new byte[1]));
        assertTrue(assertThrows(IOException.class, () -> IdxDataset.load(images, fewer, IdxDataset.MNIST_CLASSES)).getMessage().contains("1 labels"));
        Path outOfRange = write("l2", idx(8, new int[] {2}, new byte[] {3, 10}));
        assertTrue(assertThrows(IOException.class, () -> IdxDataset.load(images, outOfRange, IdxDataset.MNIST_CLASSES)).getMessage().contains("label 10"));
        Path labels2d = write("l3", idx(8, new int[] {2, 1}, new byte[2]));
        assertThrows(IOException.class, () -> IdxDataset.load(images, labels2d, IdxDataset.MNIST_CLASSES));
        assertThrows(IOException.class, () -> IdxDataset.load(labels2d, labels2d, IdxDataset.MNIST_CLASSES));
    }
}
