package io.flinkclip.tasks.probe;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Our probe file format, version 1 (big-endian): magic {@code "FCLPROBE"}, int version, int classes,
 * int dim, double C, classes × (int byteLength, UTF-8 name), classes·dim doubles W (row-major), classes
 * doubles b. Every size is checked against the file length before anything is allocated.
 */
final class ProbeFile {
    private static final byte[] MAGIC = "FCLPROBE".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    private static final int MAX_NAME_BYTES = 4096;

    private ProbeFile() {}

    static void write(LogisticRegressionProbe probe, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp); DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os))) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(probe.classes());
            out.writeInt(probe.dim());
            out.writeDouble(probe.c());
            for (String name : probe.classNames()) {
                byte[] b = name.getBytes(StandardCharsets.UTF_8);
                if (b.length > MAX_NAME_BYTES) throw new IOException("class name longer than " + MAX_NAME_BYTES + " bytes: " + name.substring(0, 40) + "…");
                out.writeInt(b.length);
                out.write(b);
            }
            for (double w : probe.rawWeights()) out.writeDouble(w);
            for (double b : probe.rawBias()) out.writeDouble(b);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static LogisticRegressionProbe read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream is = Files.newInputStream(file); DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) throw bad(file, "not a flink-clip probe file (bad magic)");
            int version = in.readInt();
            if (version != VERSION) throw bad(file, "unsupported probe file version " + version + " (this build reads " + VERSION + ")");
            int classes = in.readInt(), dim = in.readInt();
            double c = in.readDouble();
            if (classes < 2 || dim < 1) throw bad(file, "bad shape " + classes + " classes × " + dim);
            long params = (long) classes * dim + classes;
            if (params * 8 > size) throw bad(file, "declares " + classes + " × " + dim + " weights but has only " + size + " bytes");
            if (!(c > 0) || Double.isInfinite(c)) throw bad(file, "bad C " + c);
            List<String> names = new ArrayList<>(classes);
            for (int k = 0; k < classes; k++) {
                int len = in.readInt();
                if (len < 0 || len > MAX_NAME_BYTES) throw bad(file, "class name " + k + " has bad length " + len);
                byte[] b = new byte[len];
                in.readFully(b);
                names.add(new String(b, StandardCharsets.UTF_8));
            }
            double[] w = new double[classes * dim], bias = new double[classes];
            for (int i = 0; i < w.length; i++) w[i] = finite(in.readDouble(), file);
            for (int i = 0; i < bias.length; i++) bias[i] = finite(in.readDouble(), file);
            if (in.read() != -1) throw bad(file, "trailing bytes after the parameters");
            return new LogisticRegressionProbe(names, dim, c, w, bias);
        } catch (EOFException e) {
            throw bad(file, "truncated");
        }
    }

    private static double finite(double v, Path file) throws IOException {
        if (!Double.isFinite(v)) throw bad(file, "non-finite parameter " + v);
        return v;
    }

    private static IOException bad(Path file, String why) {
        return new IOException("probe file " + file + ": " + why);
    }
}
