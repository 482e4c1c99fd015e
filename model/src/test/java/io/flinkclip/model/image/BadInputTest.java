package io.flinkclip.model.image;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Corrupt, truncated, unsupported and oversized inputs end in one ImageDecodeException naming the problem. */
class BadInputTest {
    private static final Path SHARED = Path.of(System.getProperty("clip.shared.dir", "../shared"));
    private final ImagePreprocessor pre = new ImagePreprocessor();

    private String rejected(byte[] bytes) {
        ImageDecodeException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ImageDecodeException.class, () -> pre.preprocess(bytes, 224)));
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
        return e.getMessage();
    }

    @Test
    void emptyAndUnknownFormats() {
        assertTrue(rejected(new byte[0]).contains("empty"));
        assertTrue(rejected(null).contains("empty"));
        assertTrue(rejected("hello, this is not an image".getBytes()).contains("unsupported image format"));
        assertTrue(rejected("RIFF\0\0\0\0WEBPVP8 ".getBytes()).contains("WebP"));
        assertTrue(rejected(new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0}).contains("TIFF"));
    }

    @Test
    void truncatedFiles() throws IOException {
        byte[] png = Files.readAllBytes(SHARED.resolve("reference/tiny-vit/images/noise_rgb_150x200.png"));
        for (int len : new int[] {8, 12, 20, 33, 40, png.length / 2, png.length - 40}) {
            rejected(Arrays.copyOf(png, len));
        }
        byte[] jpg = Files.readAllBytes(SHARED.resolve("images/rocket.jpg"));
        // Pillow also refuses a JPEG that lacks only its final EOI marker ("image file is truncated").
        for (int len : new int[] {3, 100, 2000, jpg.length / 2, jpg.length - 2}) rejected(Arrays.copyOf(jpg, len));
        byte[] gif = PillowFixturesTest.resource("pal.gif");
        for (int len : new int[] {6, 13, 100, gif.length / 2}) rejected(Arrays.copyOf(gif, len));
        byte[] bmp = PillowFixturesTest.resource("rgb24.bmp");
        for (int len : new int[] {2, 20, 60, bmp.length / 2}) rejected(Arrays.copyOf(bmp, len));
    }

    @Test
    void corruptCompressedData() throws IOException {
        byte[] png = Files.readAllBytes(SHARED.resolve("reference/tiny-vit/images/noise_rgb_150x200.png"));
        int idat = indexOf(png, "IDAT".getBytes());
        byte[] bad = png.clone();
        bad[idat + 4] = 0x7F; // zlib header (CMF/FLG) that fails its check
        bad[idat + 5] = 0x7F;
        assertTrue(rejected(bad).contains("PNG"));
        byte[] badCrc = png.clone();
        badCrc[8 + 8 + 13] ^= 1; // IHDR checksum
        assertTrue(rejected(badCrc).contains("bad checksum in its IHDR"));
        assertTrue(rejected(png(3, 3, 8, 7, new byte[0])).contains("colour type"));
        assertTrue(rejected(png(3, 3, 8, 3, new byte[12])).contains("PLTE"));
    }

    @Test
    void decompressionBombsAreRefusedFromTheHeader() {
        // 100000 x 100000 RGB: 30 GB of pixels that a few bytes of deflate could claim.
        String m = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> rejected(png(100_000, 100_000, 8, 2, new byte[0])));
        assertTrue(m.contains("100000x100000") && m.contains("decompression bomb"), m);
        rejected(png(10_000, 10_000, 8, 0, new byte[0])); // 100 M pixels > 89,478,485
        assertTrue(rejected(jpegHeader(65_000, 65_000)).contains("decompression bomb"));
        assertTrue(rejected(gifHeader(65_535, 65_535)).contains("decompression bomb"));
        assertTrue(rejected(bmpHeader(100_000, 100_000)).contains("decompression bomb"));
        assertTrue(rejected(png(0, 10, 8, 2, new byte[0])).contains("empty"));
        assertTrue(rejected(jpegHeader(0, 10)).contains("empty"));
    }

    @Test
    void pixelLimitIsConfigurable() throws IOException {
        byte[] png = Files.readAllBytes(SHARED.resolve("reference/tiny-vit/images/square_rgb_64x64.png"));
        assertEquals(64, new ImageDecoder().decode(png).width());
        ImagePreprocessor strict = new ImagePreprocessor(new ImageDecoder(4095));
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> strict.preprocess(png, 32));
        assertTrue(e.getMessage().contains("4095"));
        assertEquals(3 * 32 * 32, new ImagePreprocessor(new ImageDecoder(4096)).preprocess(png, 32).length);

        // Flink ships functions serialised: the limit must travel with the preprocessor.
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream oos = new java.io.ObjectOutputStream(bos)) {
            oos.writeObject(strict);
        }
        ImagePreprocessor copy;
        try (java.io.ObjectInputStream ois = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bos.toByteArray()))) {
            copy = (ImagePreprocessor) ois.readObject();
        } catch (ClassNotFoundException cnf) {
            throw new AssertionError(cnf);
        }
        assertEquals(4095, copy.decoder().maxPixels());
    }

    @Test
    void extremeAspectRatioIsRefusedBeforeResizing() {
        DecodedImage strip = new DecodedImage(PixelMode.L, 1, 10_000, new byte[10_000], null);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> pre.resizeAndCropU8(strip, 224));
        assertTrue(e.getMessage().contains("aspect ratio"));
    }

    @Test
    void batchNamesTheBadImage() throws IOException {
        byte[] good = Files.readAllBytes(SHARED.resolve("reference/tiny-vit/images/square_rgb_32x32.png"));
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> pre.preprocessBatch(java.util.List.of(good, new byte[] {1, 2, 3}), 32));
        assertTrue(e.getMessage().startsWith("image 1 of the batch"), e.getMessage());
    }

    /** A PNG with the given header and one IDAT holding {@code raw} deflated. */
    static byte[] png(int w, int h, int depth, int colour, byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) depth).put((byte) colour)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        Deflater d = new Deflater();
        d.setInput(raw);
        d.finish();
        byte[] buf = new byte[raw.length + 64];
        int n = d.deflate(buf);
        chunk(out, "IDAT", Arrays.copyOf(buf, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes();
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] jpegHeader(int w, int h) {
        return new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0, 17, 8, (byte) (h >> 8), (byte) h,
                (byte) (w >> 8), (byte) w, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, (byte) 0xFF, (byte) 0xD9};
    }

    private static byte[] gifHeader(int w, int h) {
        return new byte[] {'G', 'I', 'F', '8', '9', 'a', (byte) w, (byte) (w >> 8), (byte) h, (byte) (h >> 8), 0, 0, 0,
                ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0, ';'};
    }

    private static byte[] bmpHeader(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(54).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54).putInt(0).putInt(54);
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 24).putInt(0).putInt(0)
                .putInt(0).putInt(0).putInt(0).putInt(0);
        return b.array();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
