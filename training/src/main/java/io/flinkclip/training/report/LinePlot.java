package io.flinkclip.training.report;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A minimal Java2D line chart (axes, ticks, one coloured line per series, legend) written as PNG; headless-safe. */
public final class LinePlot {
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40)};
    private final String title, xLabel, yLabel;
    private final Map<String, double[][]> series = new LinkedHashMap<>();

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** @param xy points as {x, y}; non-finite y values are left out */
    public LinePlot add(String name, double[][] xy) {
        series.put(name, xy);
        return this;
    }

    public BufferedImage render(int width, int height) {
        System.setProperty("java.awt.headless", "true");
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (double[][] s : series.values()) for (double[] p : s) {
            if (!Double.isFinite(p[0]) || !Double.isFinite(p[1])) continue;
            x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
        }
        if (!(x0 <= x1)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) { y0 -= 0.5; y1 += 0.5; }
        double pad = (y1 - y0) * 0.05;
        y0 -= pad; y1 += pad;

        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 70, right = 20, top = 40, bottom = 50;
        int pw = width - left - right, ph = height - top - bottom;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 5; i++) {
            double fx = x0 + (x1 - x0) * i / 5, fy = y0 + (y1 - y0) * i / 5;
            int px = left + pw * i / 5, py = top + ph - ph * i / 5;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(px, top, px, top + ph);
            g.drawLine(left, py, left + pw, py);
            g.setColor(Color.BLACK);
            g.drawString(fmt(fx), px - 12, top + ph + 16);
            g.drawString(fmt(fy), 6, py + 4);
        }
        g.drawString(xLabel, left + pw / 2 - 20, height - 10);
        g.drawString(yLabel, 6, top - 8);
        int k = 0;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            Color c = COLORS[k % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(1.8f));
            Path2D path = new Path2D.Double();
            boolean started = false;
            for (double[] p : e.getValue()) {
                if (!Double.isFinite(p[0]) || !Double.isFinite(p[1])) continue;
                double px = left + (p[0] - x0) / (x1 - x0) * pw, py = top + ph - (p[1] - y0) / (y1 - y0) * ph;
                if (started) path.lineTo(px, py); else { path.moveTo(px, py); started = true; }
            }
            g.draw(path);
            g.fillRect(left + pw - 150, top + 8 + 16 * k, 12, 3);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left + pw - 132, top + 13 + 16 * k);
            k++;
        }
        g.dispose();
        return img;
    }

    public void write(Path file, int width, int height) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (!ImageIO.write(render(width, height), "png", file.toFile())) throw new IOException("no PNG writer available");
    }

    private static String fmt(double v) {
        double a = Math.abs(v);
        return a != 0 && (a < 1e-2 || a >= 1e5) ? String.format(Locale.ROOT, "%.1e", v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
