package io.flinkclip.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.function.Function;

/**
 * Reads windows of a file long after its header was parsed, for tensors decoded on demand: each read re-opens the
 * file, checks it is still the file the header came from (size, modification time and, where the OS has one, its
 * inode key), maps just the window and unmaps it when done. No descriptor or mapping outlives a read, and a file
 * replaced or truncated meanwhile fails with a {@link ClipFormatException} instead of yielding mixed values.
 */
public final class FileWindows {
    private final Path file;
    private final Identity identity;

    private record Identity(long size, FileTime modified, Object key) {}

    private FileWindows(Path file, Identity identity) {
        this.file = file;
        this.identity = identity;
    }

    /** Records {@code file}'s identity now; call before parsing its header. */
    public static FileWindows of(Path file) {
        return new FileWindows(file, identity(file));
    }

    /** The file's size when its identity was recorded. */
    public long size() { return identity.size; }

    /** Applies {@code f} to bytes [at, at + len) of the file; {@code what} names the data in errors. */
    public <T> T read(long at, long len, String what, Function<MemorySegment, T> f) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Identity now = identity(file);
            if (ch.size() != identity.size || !now.equals(identity))
                throw new ClipFormatException(file + " changed after its header was read (size " + identity.size + " → " + ch.size()
                        + ", modified " + identity.modified + " → " + now.modified + "): load the model again");
            if (len == 0) return f.apply(MemorySegment.NULL);
            try (Arena arena = Arena.ofConfined()) {
                return f.apply(ch.map(FileChannel.MapMode.READ_ONLY, at, len, arena));
            }
        } catch (IOException e) {
            throw new ClipFormatException("cannot read " + what + " from " + file + ": " + e.getMessage(), e);
        }
    }

    private static Identity identity(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Identity(a.size(), a.lastModifiedTime(), a.fileKey());
        } catch (IOException e) {
            throw new ClipFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
