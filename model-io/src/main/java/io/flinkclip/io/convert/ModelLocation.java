package io.flinkclip.io.convert;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.Progress;
import io.flinkclip.io.nativefmt.NativeModel;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Opens a model named by one string: a native file, a safetensors file (vocabulary given separately or found
 * beside it) or a Hugging Face directory. Plain paths and {@code file://} URIs are read with java.nio; any
 * other scheme goes through Flink's {@code FileSystem} when flink-core is on the classpath: the remote files
 * are copied to a local temporary directory, memory-mapped from there, and the copies deleted after loading.
 */
public final class ModelLocation {
    private ModelLocation() {}

    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*");
    /** Files of an HF directory that loading uses; everything else (e.g. other frameworks' weights) is skipped. */
    private static final Set<String> HF_FILES = Set.of("config.json", "model.safetensors", "model.safetensors.index.json",
            "vocab.json", "merges.txt", "preprocessor_config.json");
    /** Vocabulary file names looked for beside a safetensors file when none is given. */
    private static final List<String> VOCAB_NEIGHBOURS = List.of("bpe_simple_vocab_16e6.txt.gz", "bpe_simple_vocab_16e6.txt", "vocab.json");

    public static NativeModel open(String location) {
        return open(location, null, Progress.NONE);
    }

    /**
     * The model at {@code location}. Safetensors weights come back pending (decoded as they are asked for, see
     * {@link io.flinkclip.io.SafeTensors#open}): a local file must stay in place until they are taken; a remote
     * model's temporary copy is decoded whole before it is deleted. {@link #load} avoids that copy in memory.
     *
     * @param vocabLocation a vocabulary for safetensors models (OpenAI .txt.gz or HF vocab.json + merges.txt); may be null
     */
    public static NativeModel open(String location, String vocabLocation, Progress progress) {
        return load(location, vocabLocation, progress, m -> {
            if (viaTemporaryCopy(location, vocabLocation)) m.weights().decodeAll(); // the copy goes when this returns
            return m;
        });
    }

    /**
     * Opens the model at {@code location} and hands it to {@code use} while its files exist (a remote model's
     * temporary copy is deleted when {@code use} returns), so that {@code use} can build from pending weights
     * without the whole checkpoint ever being decoded at once.
     */
    public static <T> T load(String location, String vocabLocation, Progress progress, Function<NativeModel, T> use) {
        if (location == null || location.isBlank()) throw new ClipFormatException("no model location given");
        if (viaTemporaryCopy(location, vocabLocation)) return openRemote(location, vocabLocation, progress, false, use);
        Path model = localPath(location);
        Path vocab = vocabLocation != null ? localPath(vocabLocation) : neighbourVocab(model);
        return use.apply(ModelConverter.load(model, vocab, progress));
    }

    /** Remote models, and local ones with a remote vocabulary, are copied to a temporary directory together. */
    private static boolean viaTemporaryCopy(String location, String vocabLocation) {
        return isRemote(location) || (vocabLocation != null && isRemote(vocabLocation));
    }

    static boolean isRemote(String location) {
        return SCHEME.matcher(location).matches() && !location.regionMatches(true, 0, "file:", 0, 5);
    }

    static Path localPath(String location) {
        try {
            return SCHEME.matcher(location).matches() ? Path.of(URI.create(location)) : Path.of(location);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new ClipFormatException("not a usable file location '" + location + "': " + e.getMessage(), e);
        }
    }

    private static Path neighbourVocab(Path model) {
        if (Files.isDirectory(model)) return null;
        Path parent = model.toAbsolutePath().getParent();
        if (parent == null) return null;
        try {
            if (ModelFormat.detect(model) != ModelFormat.SAFETENSORS) return null;
        } catch (ClipFormatException e) {
            return null; // load() reports the real problem
        }
        for (String n : VOCAB_NEIGHBOURS) {
            Path p = parent.resolve(n);
            if (Files.isRegularFile(p) && (!n.equals("vocab.json") || Files.isRegularFile(parent.resolve("merges.txt")))) return p;
        }
        return null;
    }

    /** True when Flink's file system abstraction can be used (checked without loading or reflecting on it). */
    public static boolean flinkAvailable() {
        ClassLoader cl = ModelLocation.class.getClassLoader();
        return cl != null && cl.getResource("org/apache/flink/core/fs/FileSystem.class") != null;
    }

    private static <T> T openRemote(String location, String vocabLocation, Progress progress, boolean viaFlink, Function<NativeModel, T> use) {
        if (!flinkAvailable())
            throw new ClipFormatException("cannot open '" + location + "': non-file URIs are read through Apache Flink's FileSystem, "
                    + "and flink-core is not on the classpath (run inside a Flink job or add flink-core and the file system plugin)");
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("flink-clip-model");
            Path model = fetch(location, tmp.resolve("model"), true, progress, viaFlink);
            Path vocab = vocabLocation == null ? null : fetch(vocabLocation, tmp.resolve("vocab"), false, progress, viaFlink);
            if (vocab != null && vocab.getFileName().toString().endsWith(".json")) // merges.txt must sit beside vocab.json
                fetch(sibling(vocabLocation, "merges.txt"), vocab.getParent(), false, progress, viaFlink);
            return use.apply(ModelConverter.load(model, vocab, progress));
        } catch (IOException e) {
            throw new ClipFormatException("cannot read '" + location + "': " + e.getMessage(), e);
        } finally {
            deleteTree(tmp);
        }
    }

    /** Copies a remote file (or, for a model, the relevant files of a remote HF directory) into {@code local}. */
    private static Path fetch(String uri, Path localDir, boolean mayBeDirectory, Progress progress, boolean viaFlink) throws IOException {
        Files.createDirectories(localDir);
        String trimmed = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
        if (!viaFlink && !isRemote(uri)) { // a local vocabulary next to a remote model
            Path p = localPath(uri);
            Path dst = localDir.resolve(p.getFileName().toString());
            Files.copy(p, dst, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return dst;
        }
        if (mayBeDirectory && FlinkFiles.isDirectory(trimmed)) {
            Path dir = localDir.resolve("hf");
            Files.createDirectories(dir);
            List<String> names = FlinkFiles.list(trimmed);
            for (String n : names) {
                if (HF_FILES.contains(n) || (n.endsWith(".safetensors") && names.contains("model.safetensors.index.json"))) {
                    copy(trimmed + "/" + n, dir.resolve(n), progress);
                }
            }
            return dir;
        }
        String name = trimmed.substring(trimmed.lastIndexOf('/') + 1);
        if (name.isEmpty() || name.equals("..") || name.equals(".")) name = "file";
        Path dst = localDir.resolve(name);
        copy(trimmed, dst, progress);
        return dst;
    }

    private static void copy(String uri, Path dst, Progress progress) throws IOException {
        progress.begin("downloading " + uri, -1);
        long n = FlinkFiles.copy(uri, dst);
        progress.advance(n);
        progress.end();
    }

    private static String sibling(String uri, String name) {
        int slash = uri.lastIndexOf('/');
        return (slash < 0 ? "" : uri.substring(0, slash + 1)) + name;
    }

    private static void deleteTree(Path root) {
        if (root == null) return;
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try { Files.deleteIfExists(p); } catch (IOException ignored) { }
            });
        } catch (IOException ignored) {
        }
    }

    /** Test hook: opens a location through Flink's FileSystem even for file:// URIs. */
    static NativeModel openThroughFlink(String location, String vocabLocation) {
        return loadThroughFlink(location, vocabLocation, m -> {
            m.weights().decodeAll();
            return m;
        });
    }

    /** Test hook: {@link #load} through Flink's FileSystem even for file:// URIs. */
    static <T> T loadThroughFlink(String location, String vocabLocation, Function<NativeModel, T> use) {
        return openRemote(location, vocabLocation, Progress.NONE, true, use);
    }
}
