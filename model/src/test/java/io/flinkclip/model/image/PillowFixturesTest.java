package io.flinkclip.model.image;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Formats and modes the reference set does not cover (GIF, BMP incl. RLE8 and 16/32-bit, JPEG 4:2:0/4:4:4/
 * progressive/grey/CMYK/ICC, PNG 1/2/4/16-bit, LA, tRNS, short palettes, gAMA/iCCP). The expected SHA-256 of
 * pixels_u8 come from real Pillow 11.3.0 running the same Resize/CenterCrop/convert("RGB") steps (its resize
 * and conversion code for these modes is the one of 9.4; it reproduces both reference sets bit for bit), with
 * 16-bit grey converted to mode "I" first as Pillow 9.4 opened it. See pillow/README.md.
 */
class PillowFixturesTest {
    private static final String DIR = "/io/flinkclip/model/image/pillow/";

    @Test
    void matchesPillowOnEveryFixture() throws IOException {
        String tsv = new String(resource("expected.tsv"), StandardCharsets.UTF_8);
        ImagePreprocessor pre = new ImagePreprocessor();
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (String line : tsv.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split("\t");
            DecodedImage img;
            try {
                img = pre.decoder().decode(resource(f[0]));
            } catch (ImageDecodeException e) {
                failures.add(f[0] + ": " + e.getMessage());
                continue;
            }
            String shape = img.mode().pilName() + " " + img.width() + "x" + img.height();
            if (!shape.equals(f[1] + " " + f[2] + "x" + f[3])) failures.add(f[0] + ": decoded as " + shape + ", Pillow: " + f[1] + " " + f[2] + "x" + f[3]);
            if (!sha256(pre.resizeAndCropU8(img, 32)).equals(f[4])) failures.add(f[0] + ": pixels_u8 at 32 differ");
            if (!sha256(pre.resizeAndCropU8(img, 224)).equals(f[5])) failures.add(f[0] + ": pixels_u8 at 224 differ");
            checked++;
        }
        if (!failures.isEmpty()) fail(String.join("\n", failures));
        assertTrue(checked >= 30, "only " + checked + " fixtures checked");
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = PillowFixturesTest.class.getResourceAsStream(DIR + name)) {
            if (in == null) throw new IOException("missing test resource " + DIR + name);
            return in.readAllBytes();
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
