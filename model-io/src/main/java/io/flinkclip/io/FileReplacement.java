package io.flinkclip.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that no reader ever sees half of it: the content goes to a temporary file beside the target,
 * which is then moved over it (atomically where the file system can). A symbolic link is followed, so the file it
 * points to is replaced, not the link; a target that exists but is not a regular file (a pipe, a device such as
 * {@code /dev/stdout}) is written directly.
 */
public final class FileReplacement {
    private FileReplacement() {}

    /** Writes the content of a file given its path. */
    @FunctionalInterface
    public interface Writer {
        void write(Path to) throws IOException;
    }

    public static void write(Path file, Writer writer) throws IOException {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            writer.write(file);
            return;
        }
        Path target = Files.isSymbolicLink(file) ? file.toRealPath() : file;
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            writer.write(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
