package io.flinkclip.tasks.eval;

import io.flinkclip.model.Clip;
import io.flinkclip.model.image.ImageDecodeException;
import io.flinkclip.tasks.data.CaptionsDataset;
import io.flinkclip.tasks.probe.Lbfgs;
import io.flinkclip.tasks.probe.RegularizationSearch;
import io.flinkclip.tasks.testing.FakeClip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class EvaluatorTest {
    private static final List<String> COLOURS = List.of("red", "green", "blue");
    private static final EvalOptions OPTS = new EvalOptions(3, "fake", false, 0);

    /** 4 red, 3 green, 2 blue images, correctly labelled, plus one red image labelled green. */
    private static InMemoryDataset colours() {
        List<byte[]> imgs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < 4; i++) { imgs.add(FakeClip.png(200 + i, 10, 10)); labels.add(0); }
        for (int i = 0; i < 3; i++) { imgs.add(FakeClip.png(10, 200 + i, 10)); labels.add(1); }
        for (int i = 0; i < 2; i++) { imgs.add(FakeClip.png(10, 10, 200 + i)); labels.add(2); }
        imgs.add(FakeClip.png(230, 0, 0));
        labels.add(1);
        return new InMemoryDataset(COLOURS, imgs, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    @Test
    void zeroShotMetricsByHand() {
        Clip clip = FakeClip.create();
        ZeroShotReport r = Evaluator.zeroShot(clip, colours(), List.of("a photo of a {} thing.", "{}"), OPTS);
        assertEquals(10, r.samples());
        assertEquals(0.9, r.top1(), 1e-12);
        assertEquals(1.0, r.top5(), 1e-12); // 3 classes: top-3
        // per class: red 4/4, green 3/4, blue 2/2
        assertEquals((1 + 0.75 + 1) / 3, r.meanPerClassAccuracy(), 1e-12);
        assertEquals(1, r.confusion().count(1, 0));
        assertEquals(4, r.confusion().count(0, 0));
        String text = r.toText();
        assertTrue(text.contains("90.00%") && text.contains("in-memory") && text.contains("green"), text);
        ZeroShotReport limited = Evaluator.zeroShot(clip, colours(), List.of("{}"), OPTS.withLimit(4));
        assertEquals(4, limited.samples());
        assertEquals(1.0, limited.top1());
    }

    @Test
    void aBadImageIsNamedInTheError() {
        InMemoryDataset ds = colours();
        List<byte[]> imgs = new ArrayList<>(ds.images());
        imgs.set(5, new byte[] {1, 2, 3});
        InMemoryDataset broken = new InMemoryDataset(COLOURS, imgs, ds.labelArray());
        var e = assertThrows(ImageDecodeException.class, () -> Evaluator.zeroShot(FakeClip.create(), broken, List.of("{}"), OPTS));
        assertTrue(e.getMessage().contains("in-memory #5"), e.getMessage());
    }

    @Test
    void promptSetMustMatchTheDatasetClasses() {
        assertThrows(IllegalArgumentException.class, () -> Evaluator.zeroShot(FakeClip.create(), colours(),
                io.flinkclip.tasks.zeroshot.PromptSets.forDataset("cifar10"), OPTS));
    }

    private static float[][] blobs(int n, int[] labels, double[][] centres, Random r) {
        float[][] x = new float[n][centres[0].length];
        for (int i = 0; i < n; i++) {
            labels[i] = i % centres.length;
            for (int j = 0; j < x[i].length; j++) x[i][j] = (float) (centres[labels[i]][j] + 0.4 * r.nextGaussian());
        }
        return x;
    }

    @Test
    void linearProbeFullAndFewShot() {
        Random r = new Random(3);
        double[][] centres = new double[4][8];
        for (double[] c : centres) for (int j = 0; j < 8; j++) c[j] = r.nextGaussian();
        int[] trainY = new int[200], testY = new int[80];
        float[][] trainX = blobs(200, trainY, centres, r), testX = blobs(80, testY, centres, r);
        List<String> names = List.of("a", "b", "c", "d");
        var search = new RegularizationSearch.Options(-6, 6, 2, 2, new Lbfgs.Options(300, 10, 1e-6, 1e-10));
        LinearProbeReport full = Evaluator.linearProbe(trainX, trainY, testX, testY, names, ProbeOptions.defaults().withSearch(search), "blobs");
        assertEquals(200, full.trainSamples());
        assertTrue(full.testAccuracy() > 0.9, full.toText());
        assertEquals(full.confusion().accuracy(), full.testAccuracy());
        int fits = full.search().trials().size();
        assertTrue(fits > 7 && fits <= 7 + 2 * 2, full.toText()); // coarse grid + at most two per refinement round
        LinearProbeReport few = Evaluator.linearProbe(trainX, trainY, testX, testY, names, ProbeOptions.defaults().withSearch(search).withShots(4, 1), "blobs");
        assertEquals(16, few.trainSamples());
        assertTrue(few.toText().contains("4-shot"));
        assertTrue(few.testAccuracy() > 0.5, few.toText());
    }

    @Test
    void linearProbeThroughTheModel() {
        Clip clip = FakeClip.create();
        InMemoryDataset ds = colours();
        // the mislabelled sample makes the train set non-separable; the test set is the clean part
        List<byte[]> clean = ds.images().subList(0, 9);
        InMemoryDataset test = new InMemoryDataset(COLOURS, clean, java.util.Arrays.copyOf(ds.labelArray(), 9));
        var search = new RegularizationSearch.Options(-2, 2, 2, 1, new Lbfgs.Options(200, 10, 1e-6, 1e-10));
        LinearProbeReport r = Evaluator.linearProbe(clip, ds, test, ProbeOptions.defaults().withSearch(search), OPTS);
        assertEquals(10, r.trainSamples());
        assertEquals(9, r.testSamples());
        assertEquals(3, r.probe().classes());
    }

    @Test
    void retrievalThroughTheModel(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("r.png"), FakeClip.png(250, 0, 0));
        Files.write(dir.resolve("g.png"), FakeClip.png(0, 250, 0));
        Files.write(dir.resolve("b.png"), FakeClip.png(0, 0, 250));
        Path tsv = dir.resolve("caps.tsv");
        // the last caption of g.png says "blue": text→image misses it at K = 1
        Files.writeString(tsv, "r.png\ta red square\ng.png\tgreen\nb.png\tsomething blue\nr.png\tred\ng.png\tblue-ish\n");
        RetrievalReport r = Evaluator.retrieval(FakeClip.create(), CaptionsDataset.load(tsv), OPTS, 1, 2, 3);
        assertEquals(3, r.images());
        assertEquals(5, r.captions());
        assertEquals(4 / 5.0, r.recall().textToImage().get(1), 1e-12);
        assertEquals(1.0, r.recall().textToImage().get(3), 1e-12);
        assertEquals(1.0, r.recall().imageToText().get(1), 1e-12);
        assertTrue(r.toText().contains("R@1  80.00%"), r.toText());
    }
}
