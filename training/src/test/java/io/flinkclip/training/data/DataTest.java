package io.flinkclip.training.data;

import io.flinkclip.model.image.ImageDecodeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataTest {
    @Test
    void epochOrderIsASeededPermutation() {
        EpochOrder o = new EpochOrder(50, 3, true);
        int[] a = o.permutation(0), b = o.permutation(0), c = o.permutation(1);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) assertEquals(i, sorted[i]);
        assertArrayEquals(new int[]{0, 1, 2}, new EpochOrder(3, 3, false).permutation(5));
        assertThrows(IllegalArgumentException.class, () -> new EpochOrder(0, 1, true));
    }

    @Test
    void splitsCoverEachEpochOnceAndResumeFromTheirPosition() throws IOException {
        PairDataset data = new PairDataset() {
            @Override public long size() { return 10; }
            @Override public RawPair read(long i) { return RawPair.raster(1, 1, new byte[3], "c" + i, "x"); }
        };
        PairSource src = new PairSource(data, 1, true, 2, 4);   // splits of 4, 4, 2 per epoch
        assertEquals(6, src.totalSplits());
        Set<Long> seen = new HashSet<>();
        for (long k = 0; k < src.totalSplits(); k++) {
            PairSplit s = src.split(k);
            var it = s.getIterator();
            while (it.hasNext()) assertTrue(seen.add(it.next().index));
        }
        assertEquals(20, seen.size());
        assertEquals(org.apache.flink.api.connector.source.Boundedness.BOUNDED, src.getBoundedness());
        PairSource endless = new PairSource(data, 1, true, 0, 4);
        assertEquals(org.apache.flink.api.connector.source.Boundedness.CONTINUOUS_UNBOUNDED, endless.getBoundedness());
        assertEquals(Long.MAX_VALUE, endless.totalSplits());
        assertEquals(7, endless.split(7 * 3).epoch, "split numbers map to epochs lazily, forever");
        assertTrue(seen.stream().allMatch(i -> i >= 0 && i < 20));
        // A split checkpointed mid-way resumes exactly where it stopped, after a serialisation round trip.
        PairSplit s = src.split(4);
        var it = s.getIterator();
        long first = it.next().index;
        PairSplit mid = s.getUpdatedSplitForIterator(it);
        var ser = src.getSplitSerializer();
        PairSplit back = ser.deserialize(ser.getVersion(), ser.serialize(mid));
        var it2 = back.getIterator();
        assertEquals(first + 1, it2.next().index);
        assertEquals(mid.splitId(), back.splitId());
        var es = src.getEnumeratorCheckpointSerializer();
        var state = es.deserialize(1, es.serialize(new PairEnumerator.State(3, List.of(mid))));
        assertEquals(3, state.nextSplit());
        assertEquals(mid.position, state.returned().get(0).position);
    }

    @Test
    void randomResizedCropStaysInsideAndIsSeeded() {
        for (int seed = 0; seed < 50; seed++) {
            var b = RandomResizedCrop.sample(40, 30, 0.9, 1.0, new SplittableRandom(seed));
            assertTrue(b.x() >= 0 && b.y() >= 0 && b.x() + b.w() <= 40 && b.y() + b.h() <= 30, b.toString());
            assertEquals(b, RandomResizedCrop.sample(40, 30, 0.9, 1.0, new SplittableRandom(seed)));
        }
        var small = RandomResizedCrop.sample(100, 100, 0.08, 0.1, new SplittableRandom(1));
        double area = small.w() * (double) small.h() / 1e4;
        assertTrue(area > 0.06 && area < 0.12, "area fraction " + area);
    }

    @Test
    void cropResizeNormalises() {
        byte[] rgb = new byte[6 * 4 * 3];
        for (int p = 0; p < 24; p++) { rgb[3 * p] = (byte) 255; rgb[3 * p + 1] = (byte) 128; rgb[3 * p + 2] = 0; }
        float[] out = RandomResizedCrop.cropResizeNormalise(rgb, 6, 4, new RandomResizedCrop.Box(1, 0, 4, 4), 2);
        assertEquals(12, out.length);
        for (int i = 0; i < 4; i++) {
            assertEquals((1 - RandomResizedCrop.MEAN[0]) / RandomResizedCrop.STD[0], out[i], 1e-5);
            assertEquals((128 / 255.0 - RandomResizedCrop.MEAN[1]) / RandomResizedCrop.STD[1], out[4 + i], 1e-5);
            assertEquals(-RandomResizedCrop.MEAN[2] / RandomResizedCrop.STD[2], out[8 + i], 1e-5);
        }
        // identity resize keeps every pixel
        byte[] ramp = new byte[3 * 3 * 3];
        for (int i = 0; i < ramp.length; i++) ramp[i] = (byte) (i * 9);
        float[] id = RandomResizedCrop.cropResizeNormalise(ramp, 3, 3, new RandomResizedCrop.Box(0, 0, 3, 3), 3);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) for (int c = 0; c < 3; c++) {
            double v = (ramp[(y * 3 + x) * 3 + c] & 0xff) / 255.0;
            assertEquals((v - RandomResizedCrop.MEAN[c]) / RandomResizedCrop.STD[c], id[(c * 3 + y) * 3 + x], 1e-5);
        }
        // 4× shrink of a 2-pixel checkerboard averages to mid-grey (bilinear sampling would alias to black or white)
        byte[] checker = new byte[8 * 8 * 3];
        for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) for (int c = 0; c < 3; c++) checker[(y * 8 + x) * 3 + c] = (byte) (((x + y) & 1) * 255);
        float[] grey = RandomResizedCrop.cropResizeNormalise(checker, 8, 8, new RandomResizedCrop.Box(0, 0, 8, 8), 2);
        assertEquals((0.5 - RandomResizedCrop.MEAN[0]) / RandomResizedCrop.STD[0], grey[0], 1e-5);
        assertThrows(IllegalArgumentException.class, () -> RandomResizedCrop.cropResizeNormalise(new byte[5], 2, 2, new RandomResizedCrop.Box(0, 0, 2, 2), 2));
    }

    @Test
    void decodesImagesAndRejectsGarbage() throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        img.setRGB(2, 1, 0x123456);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        ImageRaster r = ImageRaster.decode(out.toByteArray(), "t");
        assertEquals(3, r.width());
        assertEquals(2, r.height());
        int o = (1 * 3 + 2) * 3;
        assertEquals(0x12, r.rgb()[o] & 0xff);
        assertEquals(0x34, r.rgb()[o + 1] & 0xff);
        assertEquals(0x56, r.rgb()[o + 2] & 0xff);
        assertThrows(ImageDecodeException.class, () -> ImageRaster.decode(new byte[]{1, 2, 3}, "junk"));
        assertThrows(ImageDecodeException.class, () -> ImageRaster.decode(new byte[0], "empty"));
        // A PNG header claiming 100000×100000 pixels is refused from its header, before any allocation.
        byte[] png = out.toByteArray().clone();
        java.nio.ByteBuffer.wrap(png, 16, 8).putInt(100000).putInt(100000);
        ImageDecodeException bomb = assertThrows(ImageDecodeException.class, () -> ImageRaster.decode(png, "bomb"));
        assertTrue(bomb.getMessage().contains("too large") || bomb.getMessage().contains("cannot decode"), bomb.getMessage());
    }

    @Test
    void captionIndexesInTsvAndJsonl(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("a.png"), new byte[]{9});
        Files.writeString(dir.resolve("caps.tsv"), "filepath\ttitle\na.png\ta red cat\nmissing.png\tghost\n");
        CaptionedImageFiles tsv = CaptionedImageFiles.load(dir, dir.resolve("caps.tsv"));
        assertEquals(2, tsv.size());
        assertEquals("a red cat", tsv.read(0).caption);
        assertArrayEquals(new byte[]{9}, tsv.read(0).encoded);
        assertEquals(0, tsv.read(1).encoded.length, "an unreadable file becomes an empty (skipped) record");
        Files.writeString(dir.resolve("caps.jsonl"), "{\"image\": \"a.png\", \"caption\": \"x\"}\n\n{\"file\": \"a.png\", \"text\": \"y\"}\n");
        CaptionedImageFiles jl = CaptionedImageFiles.load(dir, dir.resolve("caps.jsonl"));
        assertEquals("y", jl.read(1).caption);
        Files.writeString(dir.resolve("bad.jsonl"), "{\"image\": 3}\n");
        assertThrows(IllegalArgumentException.class, () -> CaptionedImageFiles.load(dir, dir.resolve("bad.jsonl")));
        Files.writeString(dir.resolve("bad.tsv"), "no tab here\n");
        assertThrows(IllegalArgumentException.class, () -> CaptionedImageFiles.load(dir, dir.resolve("bad.tsv")));
    }

    @Test
    void idxDatasetWithTemplates(@TempDir Path dir) throws IOException {
        Path im = dir.resolve("img.idx"), lb = dir.resolve("lbl.idx");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(im))) {
            o.writeInt(0x803); o.writeInt(2); o.writeInt(2); o.writeInt(3);
            for (int i = 0; i < 12; i++) o.writeByte(i * 10);
        }
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(lb))) {
            o.writeInt(0x801); o.writeInt(2); o.writeByte(1); o.writeByte(0);
        }
        IdxDataset d = new IdxDataset(im, lb, List.of("zero", "one"), List.of("a photo of {}.", "the number {}"));
        assertEquals(2, d.size());
        RawPair p = d.read(1);
        assertEquals("the number zero", p.caption);
        assertEquals(3, p.width);
        assertEquals(2, p.height);
        assertEquals(60, p.rgb[0] & 0xff);
        assertEquals(60, p.rgb[2] & 0xff);
        assertEquals("a photo of one.", d.read(0).caption);
        assertEquals(1, d.label(0));
        assertThrows(IllegalArgumentException.class, () -> new IdxDataset(lb, im, List.of("a"), List.of("{}")));
    }
}
