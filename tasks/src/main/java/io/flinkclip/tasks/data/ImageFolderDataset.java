package io.flinkclip.tasks.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * torchvision's ImageFolder layout: {@code root/<class>/<image>}. Classes are the sub-folders in sorted order
 * (their names are the labels unless replaced with {@link #withClassNames}); images are the files with a
 * known image extension, sorted, not descending into deeper folders. Image bytes are read on demand.
 */
public final class ImageFolderDataset implements Dataset {
    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff");

    private final Path root;
    private final List<String> classNames;
    private final List<Path> files;
    private final int[] labels;

    private ImageFolderDataset(Path root, List<String> classNames, List<Path> files, int[] labels) {
        this.root = root;
        this.classNames = List.copyOf(classNames);
        this.files = List.copyOf(files);
        this.labels = labels;
    }

    public static ImageFolderDataset open(Path root) throws IOException {
        if (!Files.isDirectory(root)) throw new IOException("image folder " + root + " is not a directory");
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
        if (classDirs.isEmpty()) throw new IOException("image folder " + root + " has no class sub-folders");
        List<String> names = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            Path dir = classDirs.get(c);
            names.add(dir.getFileName().toString());
            List<Path> images;
            try (Stream<Path> s = Files.list(dir)) {
                images = s.filter(Files::isRegularFile).filter(ImageFolderDataset::isImage).sorted().toList();
            }
            if (images.isEmpty()) throw new IOException("class folder " + dir + " has no images (" + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
            for (Path p : images) {
                files.add(p);
                labels.add(c);
            }
        }
        return new ImageFolderDataset(root, names, files, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return !n.startsWith(".") && dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The same samples with human-readable class names (e.g. ImageNet's for WordNet-id folders). */
    public ImageFolderDataset withClassNames(List<String> names) {
        if (names.size() != classNames.size()) throw new IllegalArgumentException(names.size() + " names for " + classNames.size() + " class folders");
        return new ImageFolderDataset(root, names, files, labels);
    }

    @Override
    public String name() { return root.getFileName() == null ? root.toString() : root.getFileName().toString(); }

    public Path file(int i) { return files.get(i); }

    @Override
    public int size() { return files.size(); }

    @Override
    public List<String> classNames() { return classNames; }

    @Override
    public int label(int i) { return labels[i]; }

    @Override
    public byte[] image(int i) {
        try {
            return Files.readAllBytes(files.get(i));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + files.get(i), e);
        }
    }

    @Override
    public String describe(int i) { return files.get(i).toString(); }
}
