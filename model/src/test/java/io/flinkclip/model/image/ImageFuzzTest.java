package io.flinkclip.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Seeded random corruption of every Pillow fixture (PNG, JPEG, GIF and BMP in all the modes Pillow opens): bit flips
 * biased towards the header, truncations, overwritten runs and inserted bytes. Decoding and preprocessing must either
 * give a finite tensor of the right shape or throw {@link ImageDecodeException} with a message — never another
 * exception (which would escape a Flink operator's bad-record handling), an out-of-memory or a hang. A Flink job reads
 * such bytes straight from its sources.
 */
class ImageFuzzTest {
    private static final int PER_FILE = 150, RESOLUTION = 32;

    @Test
    void corruptImagesOnlyEverThrowImageDecodeException() throws Exception {
        Path dir = Path.of(ImageFuzzTest.class.getResource("/io/flinkclip/model/image/pillow/").toURI());
        List<Path> fixtures;
        try (Stream<Path> s = Files.list(dir)) {
            fixtures = s.filter(p -> p.toString().matches(".*\\.(png|jpg|gif|bmp)$")).sorted().toList();
        }
        assertTrue(fixtures.size() >= 30, "fixtures found: " + fixtures.size());
        ImagePreprocessor pre = new ImagePreprocessor();
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int f = 0; f < fixtures.size(); f++) {
                byte[] good = Files.readAllBytes(fixtures.get(f));
                pre.preprocess(good, RESOLUTION); // the intact file decodes
                SplittableRandom r = new SplittableRandom(1000 + f);
                for (int it = 0; it < PER_FILE; it++) {
                    byte[] b = mutate(good, r);
                    String where = fixtures.get(f).getFileName() + ", iteration " + it + " (seed " + (1000 + f) + ")";
                    try {
                        float[] x = pre.preprocess(b, RESOLUTION);
                        assertEquals(3 * RESOLUTION * RESOLUTION, x.length, where);
                        for (float v : x) if (!Float.isFinite(v)) fail(where + ": non-finite pixel " + v);
                        outcomes[0]++;
                    } catch (ImageDecodeException expected) {
                        assertFalse(expected.getMessage() == null || expected.getMessage().isBlank(), where + ": error without a message");
                        outcomes[1]++;
                    } catch (Throwable t) {
                        throw new AssertionError(where + " escaped with " + t, t);
                    }
                }
            }
        });
        // Not vacuous: a good share of the corruptions is detected, and some still decode (damage inside pixel data).
        int total = fixtures.size() * PER_FILE;
        assertTrue(outcomes[1] > total / 4 && outcomes[0] > total / 20, "decoded / refused: " + Arrays.toString(outcomes));
    }

    private static byte[] mutate(byte[] good, SplittableRandom r) {
        int header = Math.min(good.length, 64);
        byte[] b = good.clone();
        switch (r.nextInt(5)) {
            case 0 -> { return Arrays.copyOf(good, r.nextInt(good.length)); } // truncated
            case 1 -> { // 8 random bytes inserted
                int at = r.nextInt(good.length);
                byte[] c = new byte[good.length + 8];
                System.arraycopy(good, 0, c, 0, at);
                for (int i = 0; i < 8; i++) c[at + i] = (byte) r.nextInt(256);
                System.arraycopy(good, at, c, at + 8, good.length - at);
                return c;
            }
            case 2 -> { // a run of 0xFF or random bytes anywhere (marker and length fields, compressed data)
                int at = r.nextInt(good.length), len = Math.min(good.length - at, 1 + r.nextInt(16));
                boolean ones = r.nextBoolean();
                for (int i = at; i < at + len; i++) b[i] = ones ? (byte) 0xff : (byte) r.nextInt(256);
                return b;
            }
            default -> { // 1–4 bit flips, three in four inside the first 64 bytes (sizes, modes, palettes)
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt(header);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            }
        }
    }
}
