package io.flinkclip.training.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * An IDX image/label pair of files (MNIST layout: images magic 0x00000803 with n, rows, cols then u8 pixels; labels
 * magic 0x00000801 with n then u8 labels), captioned from prompt templates: pair i gets
 * {@code templates[i % templates.size()]} with "{}" replaced by its class name. Both files may be gzipped
 * ({@code .gz}, as Debian's dataset packages ship them); they are then inflated into memory on first read.
 */
public final class IdxDataset implements PairDataset {
    private final String images, labels;
    private final String[] classNames, templates;
    private final int count, rows, cols;
    private transient RandomAccessFile imageFile, labelFile;
    private transient byte[] imageBytes, labelBytes;

    public IdxDataset(Path images, Path labels, List<String> classNames, List<String> templates) {
        this.images = images.toString();
        this.labels = labels.toString();
        this.classNames = classNames.toArray(String[]::new);
        this.templates = templates.toArray(String[]::new);
        if (this.templates.length == 0) throw new IllegalArgumentException("need at least one caption template");
        if (gzipped(this.images) != gzipped(this.labels)) throw new IllegalArgumentException("give both IDX files gzipped or both plain");
        try (DataInputStream im = open(this.images); DataInputStream lb = open(this.labels)) {
            if (im.readInt() != 0x803) throw new IllegalArgumentException(images + " is not an IDX u8 image file (magic 0x803)");
            count = im.readInt();
            rows = im.readInt();
            cols = im.readInt();
            if (lb.readInt() != 0x801) throw new IllegalArgumentException(labels + " is not an IDX u8 label file (magic 0x801)");
            int nl = lb.readInt();
            if (nl != count) throw new IllegalArgumentException(images + " has " + count + " images but " + labels + " has " + nl + " labels");
            long imLength = gzipped(this.images) ? Long.MAX_VALUE : images.toFile().length();   // gzip: checked when inflated
            if (count <= 0 || rows <= 0 || cols <= 0 || imLength < 16 + (long) count * rows * cols) {
                throw new IllegalArgumentException(images + ": header says " + count + "×" + rows + "×" + cols + " but the file has " + imLength + " bytes");
            }
            if (!gzipped(this.labels) && labels.toFile().length() < 8 + (long) count) throw new IllegalArgumentException(labels + " is truncated");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read IDX files " + images + ", " + labels, e);
        }
    }

    @Override public long size() { return count; }

    @Override
    public synchronized RawPair read(long i) {
        try {
            if (imageFile == null && !gzipped(images)) {
                imageFile = new RandomAccessFile(images, "r");
                labelFile = new RandomAccessFile(labels, "r");
            }
            byte[] grey = new byte[rows * cols];
            int label;
            if (gzipped(images)) {
                inflate();
                System.arraycopy(imageBytes, (int) (16 + i * rows * cols), grey, 0, grey.length);
                label = labelBytes[(int) (8 + i)] & 0xFF;
            } else {
                imageFile.seek(16 + i * rows * cols);
                imageFile.readFully(grey);
                labelFile.seek(8 + i);
                label = labelFile.readUnsignedByte();
            }
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
    public synchronized int label(long i) {
        if (gzipped(labels)) {
            try {
                inflate();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + labels, e);
            }
            return labelBytes[(int) (8 + i)] & 0xFF;
        }
        try (RandomAccessFile lb = new RandomAccessFile(labels, "r")) {
            lb.seek(8 + i);
            return lb.readUnsignedByte();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + labels, e);
        }
    }

    private static boolean gzipped(String file) { return file.endsWith(".gz"); }

    private static DataInputStream open(String file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(file)), 1 << 16);
        return new DataInputStream(gzipped(file) ? new GZIPInputStream(in, 1 << 16) : in);
    }

    /** Gzipped files (as Debian ships them) are inflated into memory once: random access needs it. */
    private void inflate() throws IOException {
        if (imageBytes != null) return;
        byte[] im, lb;
        try (DataInputStream a = open(images); DataInputStream b = open(labels)) {
            im = a.readAllBytes();
            lb = b.readAllBytes();
        }
        if (im.length < 16 + (long) count * rows * cols) throw new IOException(images + " is truncated: " + im.length + " bytes inflated");
        if (lb.length < 8 + (long) count) throw new IOException(labels + " is truncated");
        labelBytes = lb;
        imageBytes = im;
    }
}
