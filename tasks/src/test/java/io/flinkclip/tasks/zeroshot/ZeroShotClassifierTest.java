package io.flinkclip.tasks.zeroshot;

import io.flinkclip.model.Clip;
import io.flinkclip.tasks.testing.FakeClip;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ZeroShotClassifierTest {

    /** Known vectors per prompt, so the ensemble can be computed by hand. */
    private static final Map<String, float[]> VECTORS = Map.of(
            "a photo of a cat.", new float[] {3, 4, 0},     // normalised: (0.6, 0.8, 0)
            "a drawing of a cat.", new float[] {0, 0, 2},   // normalised: (0, 0, 1)
            "a photo of a dog.", new float[] {0, -5, 0},    // normalised: (0, -1, 0)
            "a drawing of a dog.", new float[] {0, -1, 0}); // normalised: (0, -1, 0)

    private static float[][] lookup(List<String> texts) {
        return texts.stream().map(t -> {
            float[] v = VECTORS.get(t);
            if (v == null) throw new AssertionError("unexpected prompt " + t);
            return v.clone();
        }).toArray(float[][]::new);
    }

    @Test
    void ensembleIsTheRenormalisedMeanOfNormalisedPromptEmbeddings() {
        ClassEmbeddings e = ZeroShotClassifier.classEmbeddings(List.of(List.of("cat"), List.of("dog")),
                List.of("a photo of a {}.", "a drawing of a {}."), ZeroShotClassifierTest::lookup);
        // cat: mean of (0.6, 0.8, 0) and (0, 0, 1) = (0.3, 0.4, 0.5), norm √0.5 → (0.3√2, 0.4√2, 0.5√2)
        double r2 = Math.sqrt(2);
        assertArrayEquals(new float[] {(float) (0.3 * r2), (float) (0.4 * r2), (float) (0.5 * r2)}, e.row(0), 1e-6f);
        // dog: both prompts normalise to (0, -1, 0): without per-prompt normalisation the 5× longer one would not matter either,
        // so this row checks the final renormalisation only
        assertArrayEquals(new float[] {0, -1, 0}, e.row(1), 1e-6f);
    }

    @Test
    void unnormalisedAveragingWouldGiveADifferentAnswer() {
        // (3,4,0) + (0,0,2) averaged without normalising first points elsewhere: guards the order of operations
        ClassEmbeddings e = ZeroShotClassifier.classEmbeddings(List.of(List.of("cat")),
                List.of("a photo of a {}.", "a drawing of a {}."), ZeroShotClassifierTest::lookup);
        float[] wrong = io.flinkclip.tasks.Vectors.normalized(new float[] {1.5f, 2f, 1f});
        assertTrue(Math.abs(e.row(0)[2] - wrong[2]) > 0.1);
    }

    @Test
    void synonymsAreAveragedWithTemplates() {
        ClassEmbeddings e = ZeroShotClassifier.classEmbeddings(List.of(List.of("cat", "dog")),
                List.of("a photo of a {}."), ZeroShotClassifierTest::lookup);
        // (0.6, 0.8, 0) and (0, -1, 0) → mean (0.3, -0.1, 0) → /√0.1
        double n = Math.sqrt(0.1);
        assertArrayEquals(new float[] {(float) (0.3 / n), (float) (-0.1 / n), 0}, e.row(0), 1e-6f);
    }

    @Test
    void imagenetPromptsAreEncodedInBoundedBatchesInClassOrder() {
        PromptSet inet = PromptSets.imagenet();
        java.util.List<Integer> batches = new java.util.ArrayList<>();
        java.util.List<String> seen = new java.util.ArrayList<>();
        ClassEmbeddings e = ZeroShotClassifier.classEmbeddings(inet.classNames(), inet.templates(), texts -> {
            batches.add(texts.size());
            // prompt number p belongs to class p / 80 (class-major order): embed it as the one-hot axis (p / 80) mod 8
            float[][] out = new float[texts.size()][8];
            for (int i = 0; i < texts.size(); i++) out[i][((seen.size() + i) / 80) % 8] = 1;
            seen.addAll(texts);
            return out;
        });
        assertEquals(80_000, seen.size());
        assertTrue(batches.stream().allMatch(b -> b <= 256));
        assertEquals("a bad photo of a tench.", seen.getFirst());
        assertEquals("a tattoo of the toilet paper.", seen.getLast());
        assertEquals(1000, e.classes());
        for (int c : new int[] {0, 1, 7, 8, 999}) {
            float[] row = e.row(c);
            assertEquals(1f, row[c % 8], 1e-6f, "class " + c);
        }
    }

    @Test
    void logitsAreTemperatureTimesCosineAndProbabilitiesSumToOne() {
        ClassEmbeddings e = new ClassEmbeddings(new float[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
        ZeroShotClassifier clf = new ZeroShotClassifier(List.of("x", "y", "z"), e, 100f);
        float[][] images = {{2, 2, 1}, {0, 0, -7}};
        float[][] logits = clf.logits(images);
        assertArrayEquals(new float[] {200f / 3, 200f / 3, 100f / 3}, logits[0], 1e-4f);
        assertArrayEquals(new float[] {0, 0, -100}, logits[1], 1e-4f);
        double[][] p = clf.probabilities(images);
        for (double[] row : p) assertEquals(1.0, row[0] + row[1] + row[2], 1e-12);
        // softmax by hand for image 0: exponents (a, a, a - 100/3)
        double ez = Math.exp(-100.0 / 3);
        assertEquals(1 / (2 + ez), p[0][0], 1e-12);
        assertEquals(ez / (2 + ez), p[0][2], 1e-12);
    }

    @Test
    void topKIsOrderedWithTiesToTheLowerIndex() {
        ClassEmbeddings e = new ClassEmbeddings(new float[][] {{0, 1}, {1, 0}, {1, 0}, {-1, 0}});
        ZeroShotClassifier clf = new ZeroShotClassifier(List.of("up", "right", "right again", "left"), e, 10f);
        List<Prediction> top = clf.classify(new float[][] {{5, 0}}, 3).getFirst();
        assertEquals(List.of(1, 2, 0), top.stream().map(Prediction::index).toList());
        assertEquals("right", top.get(0).label());
        assertEquals(top.get(0).probability(), top.get(1).probability(), 0);
        assertEquals(10f, top.get(0).logit(), 1e-5f);
        assertEquals(4, clf.classify(new float[][] {{5, 0}}, 99).getFirst().size());
        assertThrows(IllegalArgumentException.class, () -> clf.classify(new float[][] {{1, 0}}, 0));
        assertThrows(IllegalArgumentException.class, () -> clf.classify(new float[][] {{1, 0, 0}}, 1));
        assertThrows(IllegalArgumentException.class, () -> clf.classify(new float[][] {{0, 0}}, 1));
    }

    @Test
    void classifiesImagesThroughTheClipFacade() {
        Clip clip = FakeClip.create();
        ClassEmbeddingCache cache = new ClassEmbeddingCache(4);
        ZeroShotClassifier clf = ZeroShotClassifier.create(clip, "fake", PromptSet.of("colours", List.of("red", "green", "blue"),
                List.of("a photo of a {} thing.", "a {} square.")), cache);
        assertEquals(100f, clf.temperature(), 1e-3f);
        List<List<Prediction>> out = clf.classifyImages(clip, List.of(FakeClip.png(250, 10, 10), FakeClip.png(0, 20, 240), FakeClip.png(5, 200, 30)), 2);
        assertEquals(List.of("red", "blue", "green"), out.stream().map(l -> l.getFirst().label()).toList());
        for (List<Prediction> l : out) assertTrue(l.get(0).probability() > 0.9 && l.get(0).probability() >= l.get(1).probability());
    }

    @Test
    void rejectsTemplatesWithoutPlaceholder() {
        var ex = assertThrows(IllegalArgumentException.class, () -> PromptSet.of("x", List.of("a"), List.of("a photo of a cat")));
        assertTrue(ex.getMessage().contains("{}"));
        assertThrows(IllegalArgumentException.class, () -> PromptSet.of("x", List.of("a"), List.of()));
    }
}
