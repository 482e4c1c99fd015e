package io.flinkclip.tasks.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * MNIST-style datasets in IDX files (images: n × rows × cols unsigned bytes; labels: n unsigned bytes), gzip
 * or not. Samples become RGB PNGs for the CLIP preprocessing. Debian's {@code dataset-fashion-mnist} package
 * installs Fashion-MNIST under {@link #DEBIAN_FASHION_MNIST}.
 */
public final class IdxDataset implements Dataset {
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final List<String> MNIST_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private final String name;
    private final IdxFile images;
    private final byte[] labels;
    private final List<String> classNames;
    private final int rows, cols;

    private IdxDataset(String name, IdxFile images, byte[] labels, List<String> classNames) {
        this.name = name;
        this.images = images;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
        this.rows = images.dims()[1];
        this.cols = images.dims()[2];
    }

    public static IdxDataset load(Path imagesFile, Path labelsFile, List<String> classNames) throws IOException {
        IdxFile images = IdxFile.read(imagesFile), labels = IdxFile.read(labelsFile);
        if (images.dims().length != 3) throw new IOException("IDX images " + imagesFile + " must have 3 dimensions (n, rows, cols), has " + Arrays.toString(images.dims()));
        if (labels.dims().length != 1) throw new IOException("IDX labels " + labelsFile + " must have 1 dimension, has " + Arrays.toString(labels.dims()));
        if (images.count() != labels.count()) throw new IOException(imagesFile + " has " + images.count() + " images but " + labelsFile + " has " + labels.count() + " labels");
        if (images.dims()[1] == 0 || images.dims()[2] == 0) throw new IOException("IDX images " + imagesFile + " have an empty image size " + Arrays.toString(images.dims()));
        byte[] l = labels.data();
        for (int i = 0; i < l.length; i++) {
            if ((l[i] & 0xff) >= classNames.size()) throw new IOException("label " + (l[i] & 0xff) + " of sample " + i + " in " + labelsFile + " is not below " + classNames.size() + " classes");
        }
        return new IdxDataset(imagesFile.toString(), images, l, classNames);
    }

    /** Fashion-MNIST from a folder with the four standard files ({@code train-…} or {@code t10k-…}, {@code .gz} or not). */
    public static IdxDataset fashionMnist(Path dir, boolean train) throws IOException {
        return standard(dir, train, FASHION_MNIST_CLASSES);
    }

    public static IdxDataset mnist(Path dir, boolean train) throws IOException {
        return standard(dir, train, MNIST_CLASSES);
    }

    private static IdxDataset standard(Path dir, boolean train, List<String> classes) throws IOException {
        String prefix = train ? "train" : "t10k";
        return load(find(dir, prefix + "-images-idx3-ubyte"), find(dir, prefix + "-labels-idx1-ubyte"), classes);
    }

    private static Path find(Path dir, String base) throws IOException {
        for (String suffix : new String[] {"", ".gz"}) {
            Path p = dir.resolve(base + suffix);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IOException("no " + base + "[.gz] in " + dir);
    }

    @Override
    public String name() { return Path.of(name).getFileName().toString(); }

    public int rows() { return rows; }

    public int cols() { return cols; }

    /** The raw grey values of sample {@code i}, row-major. */
    public byte[] grey(int i) {
        int per = rows * cols;
        return Arrays.copyOfRange(images.data(), i * per, (i + 1) * per);
    }

    @Override
    public int size() { return labels.length; }

    @Override
    public List<String> classNames() { return classNames; }

    @Override
    public int label(int i) {
        if (i < 0 || i >= labels.length) throw new IndexOutOfBoundsException("sample " + i + " not in [0, " + labels.length + ")");
        return labels[i] & 0xff;
    }

    /** Sample {@code i} as an RGB PNG. */
    @Override
    public byte[] image(int i) {
        label(i);
        return GreyImages.toPng(images.data(), i * rows * cols, rows, cols);
    }

    @Override
    public String describe(int i) { return name + " #" + i; }
}
