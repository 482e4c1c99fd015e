package io.flinkclip.tasks.eval;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Renders a confusion matrix as a PNG heat map: cell colour = fraction of the true class (row) predicted as
 * each class (column), on a perceptual dark-blue → yellow scale with a colour bar; labelled axes; class
 * names when the cells are large enough to read them, counts inside cells when larger still.
 */
public final class ConfusionMatrixImage {
    private static final int MATRIX_PIXELS = 800, MAX_CELL = 48, MIN_CELL = 1;
    private static final int LABEL_CHARS = 22;
    /** Viridis-like stops (0, .25, .5, .75, 1). */
    private static final int[][] STOPS = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};

    private ConfusionMatrixImage() {}

    public static void write(ConfusionMatrix m, String title, Path png) throws IOException {
        if (!ImageIO.write(render(m, title), "png", png.toFile())) throw new IOException("no PNG writer available");
    }

    public static BufferedImage render(ConfusionMatrix m, String title) {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        int k = m.classes();
        if (k > 4096) throw new IllegalArgumentException(k + " classes are too many to draw (at most 4096)");
        int cell = Math.max(MIN_CELL, Math.min(MAX_CELL, MATRIX_PIXELS / k));
        boolean labels = cell >= 10, numbers = cell >= 28;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, Math.min(13, cell - 2)));
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 16);
        // measure the labels with a scratch graphics context
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D sg = scratch.createGraphics();
        FontMetrics fm = sg.getFontMetrics(font);
        int labelW = 0;
        if (labels) for (String n : m.classNames()) labelW = Math.max(labelW, fm.stringWidth(shorten(n)));
        sg.dispose();
        int grid = cell * k;
        int left = 40 + labelW + 8, top = 50, bottom = 40 + labelW + 8, barW = 20, right = 90;
        int w = left + grid + 30 + barW + right, h = top + grid + bottom;
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = im.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        // cells
        for (int t = 0; t < k; t++) {
            long support = m.support(t);
            for (int p = 0; p < k; p++) {
                double f = support == 0 ? 0 : m.count(t, p) / (double) support;
                g.setColor(colour(f));
                g.fillRect(left + p * cell, top + t * cell, cell, cell);
                if (numbers && m.count(t, p) > 0) {
                    g.setFont(font);
                    g.setColor(f > 0.6 ? Color.BLACK : Color.WHITE);
                    String s = Long.toString(m.count(t, p));
                    FontMetrics cm = g.getFontMetrics();
                    g.drawString(s, left + p * cell + (cell - cm.stringWidth(s)) / 2, top + t * cell + (cell + cm.getAscent()) / 2 - 2);
                }
            }
        }
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1));
        g.drawRect(left - 1, top - 1, grid + 1, grid + 1);
        g.setColor(Color.BLACK);
        // class names: rows on the left, columns below (rotated)
        if (labels) {
            g.setFont(font);
            FontMetrics lm = g.getFontMetrics();
            for (int i = 0; i < k; i++) {
                String s = shorten(m.classNames().get(i));
                g.drawString(s, left - 6 - lm.stringWidth(s), top + i * cell + (cell + lm.getAscent()) / 2 - 2);
                AffineTransform saved = g.getTransform();
                g.translate(left + i * cell + (cell + lm.getAscent()) / 2 - 2, top + grid + 6);
                g.rotate(Math.PI / 2);
                g.drawString(s, 0, 0);
                g.setTransform(saved);
            }
        }
        // axis titles and title
        g.setFont(titleFont.deriveFont(Font.PLAIN, 14f));
        FontMetrics am = g.getFontMetrics();
        String xTitle = "predicted class", yTitle = "true class";
        g.drawString(xTitle, left + (grid - am.stringWidth(xTitle)) / 2, h - 12);
        AffineTransform saved = g.getTransform();
        g.translate(22, top + (grid + am.stringWidth(yTitle)) / 2);
        g.rotate(-Math.PI / 2);
        g.drawString(yTitle, 0, 0);
        g.setTransform(saved);
        g.setFont(titleFont);
        String head = (title == null ? "" : title + "  ") + String.format("top-1 %.2f%%, n = %d", 100 * m.accuracy(), m.total());
        g.drawString(head, left, 30);
        // colour bar
        int bx = left + grid + 30, barH = Math.max(grid, 100);
        for (int y = 0; y < barH; y++) {
            g.setColor(colour(1 - y / (double) (barH - 1)));
            g.fillRect(bx, top + y, barW, 1);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(bx, top, barW, barH);
        g.setFont(font.deriveFont(12f));
        FontMetrics bm = g.getFontMetrics();
        for (int pct = 0; pct <= 100; pct += 25) {
            int y = top + (int) Math.round((1 - pct / 100.0) * (barH - 1));
            g.drawLine(bx + barW, y, bx + barW + 4, y);
            g.drawString(pct + "%", bx + barW + 7, y + bm.getAscent() / 2 - 1);
        }
        String barTitle = "of true class";
        saved = g.getTransform();
        g.translate(bx + barW + 50 + bm.getAscent(), top + (barH + bm.stringWidth(barTitle)) / 2);
        g.rotate(-Math.PI / 2);
        g.drawString(barTitle, 0, 0);
        g.setTransform(saved);
        g.dispose();
        return im;
    }

    /** Colour for a fraction in [0, 1] (piecewise-linear through {@link #STOPS}). */
    static Color colour(double f) {
        f = Math.max(0, Math.min(1, f));
        double x = f * (STOPS.length - 1);
        int i = Math.min(STOPS.length - 2, (int) x);
        double t = x - i;
        int[] a = STOPS[i], b = STOPS[i + 1];
        return new Color((int) Math.round(a[0] + t * (b[0] - a[0])), (int) Math.round(a[1] + t * (b[1] - a[1])), (int) Math.round(a[2] + t * (b[2] - a[2])));
    }

    private static String shorten(String s) {
        return s.length() <= LABEL_CHARS ? s : s.substring(0, LABEL_CHARS - 1) + "…";
    }
}
