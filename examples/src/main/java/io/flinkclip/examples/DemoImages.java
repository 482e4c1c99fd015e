package io.flinkclip.examples;

import io.flinkclip.tasks.data.IdxDataset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** The demo's input: image files from a directory, or the Fashion-MNIST test images shipped in the jar. */
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

    /**
     * The first {@code count} (≤ 200) Fashion-MNIST test images shipped in this jar (MIT, Zalando SE), as PNG bytes,
     * each with its true class name.
     */
    static List<Image> fashionMnist(int count) {
        try {
            Path images = FashionClipModel.extract("fashion-mnist/t10k-first200-images-idx3-ubyte.gz", ".gz");
            Path labels = FashionClipModel.extract("fashion-mnist/t10k-first200-labels-idx1-ubyte.gz", ".gz");
            IdxDataset ds = IdxDataset.load(images, labels, FashionClipModel.CLASSES);
            List<Image> out = new ArrayList<>();
            for (int i = 0; i < Math.min(count, ds.size()); i++) {
                out.add(new Image(String.format("fashion-mnist-test-%03d", i), ds.image(i), ds.classNames().get(ds.label(i))));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
