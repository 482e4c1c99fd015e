package io.flinkclip.io.convert;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Access to any URI scheme Flink supports (s3://, hdfs://, gs://, …) via {@code org.apache.flink.core.fs}.
 * Only loaded after {@link ModelLocation} has seen flink-core on the classpath, so flink-core stays optional.
 */
final class FlinkFiles {
    private FlinkFiles() {}

    static boolean isDirectory(String uri) throws IOException {
        org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(uri);
        return p.getFileSystem().getFileStatus(p).isDir();
    }

    /** Names of the plain files directly inside a directory. */
    static List<String> list(String uri) throws IOException {
        org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(uri);
        FileStatus[] all = p.getFileSystem().listStatus(p);
        List<String> names = new ArrayList<>();
        if (all != null) for (FileStatus s : all) if (!s.isDir()) names.add(s.getPath().getName());
        return names;
    }

    static long copy(String uri, java.nio.file.Path local) throws IOException {
        org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(uri);
        FileSystem fs = p.getFileSystem();
        try (FSDataInputStream in = fs.open(p); InputStream is = in) {
            return Files.copy(is, local, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
