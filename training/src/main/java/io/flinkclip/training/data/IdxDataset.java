package io.flinkclip.training.data;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * An IDX image/label pair of files (MNIST layout: images magic 0x00000803 with n, rows, cols then u8 pixels; labels
 * magic 0x00000801 with n then u8 labels), captioned from prompt templates: pair i gets
 * {@code templates[i % templates.size()]} with "{}" replaced by its class name.
 */
public final class IdxDataset implements PairDataset {
    private final String images, labels;
    private final String[] classNames, templates;
    private final int count, rows, cols;
    private transient RandomAccessFile imageFile, labelFile;

    public IdxDataset(Path images, Path labels, List<String> classNames, List<String> templates) {
        this.images = images.toString();
        this.labels = labels.toString();
        this.classNames = classNames.toArray(String[]::new);
        this.templates = templates.toArray(String[]::new);
        if (this.templates.length == 0) throw new IllegalArgumentException("need at least one caption template");
        try (RandomAccessFile im = new RandomAccessFile(images.toFile(), "r"); RandomAccessFile lb = new RandomAccessFile(labels.toFile(), "r")) {
            if (im.readInt() != 0x803) throw new IllegalArgumentException(images + " is not an IDX u8 image file (magic 0x803)");
            count = im.readInt();
            rows = im.readInt();
            cols = im.readInt();
            if (lb.readInt() != 0x801) throw new IllegalArgumentException(labels + " is not an IDX u8 label file (magic 0x801)");
            int nl = lb.readInt();
            if (nl != count) throw new IllegalArgumentException(images + " has " + count + " images but " + labels + " has " + nl + " labels");
            if (count <= 0 || rows <= 0 || cols <= 0 || im.length() < 16 + (long) count * rows * cols) {
                throw new IllegalArgumentException(images + ": header says " + count + "×" + rows + "×" + cols + " but the file has " + im.length() + " bytes");
            }
            if (lb.length() < 8 + (long) count) throw new IllegalArgumentException(labels + " is truncated");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read IDX files " + images + ", " + labels, e);
        }
    }

    @Override public long size() { return count; }

    @Override
    public synchronized RawPair read(long i) {
        try {
            if (imageFile == null) {
                imageFile = new RandomAccessFile(images, "r");
                labelFile = new RandomAccessFile(labels, "r");
            }
            byte[] grey = new byte[rows * cols];
            imageFile.seek(16 + i * rows * cols);
            imageFile.readFully(grey);
            labelFile.seek(8 + i);
            int label = labelFile.readUnsignedByte();
            if (label >= classNames.length) throw new IllegalArgumentException(labels + ": label " + label + " at " + i + " has no class name");
            byte[] rgb = new byte[grey.length * 3];
            for (int k = 0; k < grey.length; k++) rgb[3 * k] = rgb[3 * k + 1] = rgb[3 * k + 2] = grey[k];
            String caption = templates[(int) (i % templates.length)].replace("{}", classNames[label]);
            return RawPair.raster(cols, rows, rgb, caption, images + "#" + i);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + images + " at " + i, e);
        }
    }

    /** The label of pair i (for held-out accuracy). */
    public int label(long i) {
        try (RandomAccessFile lb = new RandomAccessFile(labels, "r")) {
            lb.seek(8 + i);
            return lb.readUnsignedByte();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + labels, e);
        }
    }
}
