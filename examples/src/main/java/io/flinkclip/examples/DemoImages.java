package io.flinkclip.examples;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/** The demo's input: image files from a directory, or synthetic red/green/blue pictures made in memory. */
final class DemoImages {
    record Image(String name, byte[] bytes, String expected) {}

    private DemoImages() {}

    static List<Image> read(Path dir) throws IOException {
        List<Image> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                if (Files.isRegularFile(p) && n.matches(".*\\.(png|jpe?g|gif|bmp)")) {
                    out.add(new Image(p.getFileName().toString(), Files.readAllBytes(p), null));
                }
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no .png/.jpg/.gif/.bmp images in " + dir);
        return out;
    }

    /** {@code count} 64×64 PNGs: a dominant red, green or blue with a lighter random blob; reproducible. */
    static List<Image> synthetic(int count) {
        String[] names = {"red", "green", "blue"};
        Random rnd = new Random(42);
        List<Image> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int c = i % 3;
            int[] rgb = {30 + rnd.nextInt(40), 30 + rnd.nextInt(40), 30 + rnd.nextInt(40)};
            rgb[c] = 180 + rnd.nextInt(75);
            BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(rgb[0], rgb[1], rgb[2]));
            g.fillRect(0, 0, 64, 64);
            g.setColor(new Color(Math.min(255, rgb[0] + 40), Math.min(255, rgb[1] + 40), Math.min(255, rgb[2] + 40)));
            g.fillOval(rnd.nextInt(32), rnd.nextInt(32), 8 + rnd.nextInt(24), 8 + rnd.nextInt(24));
            g.dispose();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                ImageIO.write(img, "png", bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.add(new Image(String.format("synthetic-%04d-%s.png", i, names[c]), bytes.toByteArray(), names[c]));
        }
        return out;
    }
}
