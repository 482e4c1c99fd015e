package io.flinkclip.tasks.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * An IDX file (LeCun's MNIST format) of unsigned bytes: magic {@code 00 00 08 NDIMS}, NDIMS big-endian int32
 * sizes, then the data. Gzip-compressed files are recognised by their magic. The header is checked before
 * any large allocation, and the data must fill the declared shape exactly.
 */
public record IdxFile(int[] dims, byte[] data) {
    private static final int UBYTE = 0x08;
    private static final int MAX_DIMS = 4;

    public int count() { return dims[0]; }

    public static IdxFile read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            boolean gz = b0 == 0x1f && b1 == 0x8b;
            long limit = gz ? Long.MAX_VALUE : Files.size(file);
            try (InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
                return read(in, limit, file.toString());
            }
        }
    }

    /** @param availableBytes an upper bound on the stream's length when known (uncompressed files), else Long.MAX_VALUE */
    static IdxFile read(InputStream stream, long availableBytes, String name) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        int[] dims;
        try {
            int z0 = in.readUnsignedByte(), z1 = in.readUnsignedByte(), type = in.readUnsignedByte(), nd = in.readUnsignedByte();
            if (z0 != 0 || z1 != 0) throw bad(name, String.format("bad magic %02x %02x (an IDX file starts with 00 00)", z0, z1));
            if (type != UBYTE) throw bad(name, String.format("element type 0x%02x is not supported (only unsigned bytes, 0x08)", type));
            if (nd < 1 || nd > MAX_DIMS) throw bad(name, nd + " dimensions (expected 1.." + MAX_DIMS + ")");
            dims = new int[nd];
            long total = 1;
            for (int i = 0; i < nd; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) throw bad(name, "negative size " + Integer.toUnsignedString(dims[i]) + " in dimension " + i);
                total *= dims[i];
                if (total > Integer.MAX_VALUE - 8) throw bad(name, "shape " + Arrays.toString(Arrays.copyOf(dims, i + 1)) + " is too large");
            }
            long headerBytes = 4 + 4L * nd;
            if (total > availableBytes - headerBytes) {
                throw bad(name, "shape " + Arrays.toString(dims) + " needs " + total + " data bytes but the file has " + (availableBytes - headerBytes));
            }
            // grow while reading so a lying header in a small gzip file cannot force a huge allocation
            byte[] data = new byte[(int) Math.min(total, 1 << 20)];
            int filled = 0;
            while (filled < total) {
                if (filled == data.length) data = Arrays.copyOf(data, (int) Math.min(total, 2L * data.length));
                int r = in.read(data, filled, data.length - filled);
                if (r < 0) throw bad(name, "truncated: shape " + Arrays.toString(dims) + " needs " + total + " data bytes, found " + filled);
                filled += r;
            }
            if (in.read() != -1) throw bad(name, "trailing bytes after the " + total + " data bytes of shape " + Arrays.toString(dims));
            return new IdxFile(dims, data);
        } catch (EOFException e) {
            throw bad(name, "truncated header");
        }
    }

    private static IOException bad(String name, String why) {
        return new IOException("IDX file " + name + ": " + why);
    }
}
