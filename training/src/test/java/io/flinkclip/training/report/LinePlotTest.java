package io.flinkclip.training.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinePlotTest {
    @Test
    void writesReadablePngsAndCsv(@TempDir Path dir) throws Exception {
        List<double[]> h = new ArrayList<>();
        for (int s = 1; s <= 50; s++) h.add(new double[]{s, 3 * Math.exp(-s / 20.0) + 0.1 * Math.sin(s), 1e-3, 4.6, 1.0});
        TrainingReport.writeLossPlot(h, dir.resolve("loss.png"));
        TrainingReport.writeCsv(h, dir.resolve("m.csv"));
        TrainingReport.writeAccuracyPlot(List.of(new double[]{10, 0.2}, new double[]{20, 0.5}), "top-1", dir.resolve("acc.png"));
        BufferedImage img = ImageIO.read(dir.resolve("loss.png").toFile());
        assertEquals(800, img.getWidth());
        int coloured = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) {
            int p = img.getRGB(x, y), r = (p >> 16) & 255, b = p & 255;
            if (b > 150 && r < 100) coloured++;   // the blue loss line
        }
        assertTrue(coloured > 200, "loss line not drawn (" + coloured + " blue pixels)");
        assertTrue(ImageIO.read(dir.resolve("acc.png").toFile()) != null);
        assertEquals(51, Files.readAllLines(dir.resolve("m.csv")).size());
        // degenerate input (empty, constant) still renders
        new LinePlot("empty", "x", "y").write(dir.resolve("e.png"), 200, 100);
        new LinePlot("flat", "x", "y").add("c", new double[][]{{1, 2}, {1, 2}}).write(dir.resolve("f.png"), 200, 100);
    }
}
