package io.flinkclip.training.data;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * WebDataset tar shards: members sharing a key (the path up to the first dot of the file name) form a sample; a
 * sample with an image member (jpg, jpeg, png, bmp, gif) and a "txt" caption is a pair. Building scans only the tar
 * headers once, recording member offsets, so pairs can then be read in any order. Handles ustar prefixes, GNU long
 * names ('L') and pax 'path' records; other member types are skipped.
 */
public final class WebDatasetShards implements PairDataset {
    private static final List<String> IMAGE_EXT = List.of("jpg", "jpeg", "png", "bmp", "gif");
    private final String[] shards;
    private final int[] shard;
    private final long[] imageOff, captionOff;
    private final int[] imageLen, captionLen;
    private final String[] keys;

    public WebDatasetShards(List<Path> shardFiles) {
        shards = shardFiles.stream().map(Path::toString).toArray(String[]::new);
        List<long[]> rows = new ArrayList<>();   // shard, imgOff, imgLen, capOff, capLen
        List<String> k = new ArrayList<>();
        for (int s = 0; s < shards.length; s++) {
            Map<String, long[]> samples = new LinkedHashMap<>();
            scan(shards[s], samples);
            for (Map.Entry<String, long[]> e : samples.entrySet()) {
                long[] v = e.getValue();
                if (v[0] >= 0 && v[2] >= 0) {
                    rows.add(new long[]{s, v[0], v[1], v[2], v[3]});
                    k.add(e.getKey());
                }
            }
        }
        if (rows.isEmpty()) throw new IllegalArgumentException("no image+txt samples in " + shardFiles);
        int n = rows.size();
        shard = new int[n]; imageOff = new long[n]; imageLen = new int[n]; captionOff = new long[n]; captionLen = new int[n];
        for (int i = 0; i < n; i++) {
            long[] r = rows.get(i);
            shard[i] = (int) r[0]; imageOff[i] = r[1]; imageLen[i] = (int) r[2]; captionOff[i] = r[3]; captionLen[i] = (int) r[4];
        }
        keys = k.toArray(String[]::new);
    }

    /** Fills key → {imageOffset, imageLength, captionOffset, captionLength} (−1 where missing). */
    private static void scan(String file, Map<String, long[]> samples) {
        try (RandomAccessFile f = new RandomAccessFile(file, "r")) {
            byte[] h = new byte[512];
            long pos = 0, len = f.length();
            String longName = null;
            while (pos + 512 <= len) {
                f.seek(pos);
                f.readFully(h);
                if (isZero(h)) break;
                long size = octal(h, 124, 12, file, pos);
                char type = (char) h[156];
                long data = pos + 512;
                if (data + size > len) throw new IllegalArgumentException(file + ": member at " + pos + " runs past the end of the file");
                String name = longName != null ? longName : ustarName(h);
                longName = null;
                if (type == 'L' || type == 'x') {
                    byte[] b = new byte[(int) Math.min(size, 1 << 20)];
                    f.readFully(b);
                    String text = new String(b, StandardCharsets.UTF_8);
                    longName = type == 'L' ? text.replace("\0", "") : paxPath(text);
                } else if (type == '0' || type == '\0') {
                    record(samples, name, data, size);
                }
                pos = data + (size + 511) / 512 * 512;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read shard " + file, e);
        }
    }

    private static void record(Map<String, long[]> samples, String name, long off, long size) {
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        if (dot < 0) return;
        String key = name.substring(0, dot), ext = name.substring(dot + 1).toLowerCase();
        if (size > Integer.MAX_VALUE) return;
        long[] v = samples.computeIfAbsent(key, x -> new long[]{-1, 0, -1, 0});
        if (IMAGE_EXT.contains(ext)) { v[0] = off; v[1] = size; }
        else if (ext.equals("txt")) { v[2] = off; v[3] = size; }
    }

    private static String ustarName(byte[] h) {
        String name = cstr(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? cstr(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String paxPath(String records) {
        for (String rec : records.split("\n")) {
            int sp = rec.indexOf(' ');
            if (sp > 0 && rec.startsWith("path=", sp + 1)) return rec.substring(sp + 6);
        }
        return null;
    }

    private static String cstr(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len, String file, long pos) {
        long v = 0;
        boolean any = false;
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (c == 0 || c == ' ') { if (any) break; else continue; }
            if (c < '0' || c > '7') throw new IllegalArgumentException(file + ": corrupt tar header at " + pos);
            v = v * 8 + (c - '0');
            any = true;
        }
        return v;
    }

    private static boolean isZero(byte[] h) {
        for (byte x : h) if (x != 0) return false;
        return true;
    }

    @Override public long size() { return shard.length; }

    @Override
    public RawPair read(long i) {
        int k = (int) i;
        String origin = shards[shard[k]] + ":" + keys[k];
        try (RandomAccessFile f = new RandomAccessFile(shards[shard[k]], "r")) {
            byte[] img = new byte[imageLen[k]], cap = new byte[captionLen[k]];
            f.seek(imageOff[k]);
            f.readFully(img);
            f.seek(captionOff[k]);
            f.readFully(cap);
            return RawPair.encoded(img, new String(cap, StandardCharsets.UTF_8).strip(), origin);
        } catch (IOException e) {
            return RawPair.encoded(new byte[0], "", origin + " (" + e.getMessage() + ")");
        }
    }
}
