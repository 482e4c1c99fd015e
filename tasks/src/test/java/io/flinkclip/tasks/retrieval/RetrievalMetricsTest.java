package io.flinkclip.tasks.retrieval;

import io.flinkclip.model.Clip;
import io.flinkclip.tasks.testing.FakeClip;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class RetrievalMetricsTest {
    @Test
    void recallByHandWithSeveralCaptionsPerImage() {
        // images on the axes; captions 0,1 belong to image 0, caption 2 and 3 to image 1, caption 4 to image 2
        float[][] images = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        float[][] texts = {
                {1, 0.1f, 0},     // → image 0 first: hit@1
                {0, 1, 0.2f},     // → image 1 first, then 2, then 0: its image at rank 3
                {0, 1, 0},        // → image 1: hit@1
                {0.9f, 0.5f, 0},  // → image 0, then 1: rank 2
                {0, 0, 1}};       // → image 2: hit@1
        int[] imageOf = {0, 0, 1, 1, 2};
        RetrievalMetrics.Recall r = RetrievalMetrics.recall(images, texts, imageOf, 1, 2, 3);
        assertEquals(3 / 5.0, r.textToImage().get(1), 1e-12);
        assertEquals(4 / 5.0, r.textToImage().get(2), 1e-12);
        assertEquals(1.0, r.textToImage().get(3), 1e-12);
        // image→text: image 0's best caption is 0 (its own) → hit@1; image 1's best is caption 2 (its own);
        // image 2's best is caption 4 (its own): all found at K = 1
        assertEquals(1.0, r.imageToText().get(1), 1e-12);
    }

    @Test
    void imageToTextCountsAnyOfTheImagesCaptions() {
        float[][] images = {{1, 0}, {0, 1}};
        float[][] texts = {{0, 1}, {1, 0.05f}, {0.2f, 1}}; // caption 0 → image 1, captions 1 → image 0, caption 2 → image 1
        int[] imageOf = {1, 0, 0};
        RetrievalMetrics.Recall r = RetrievalMetrics.recall(images, texts, imageOf, 1);
        // image 0: best caption 1 (own) → hit. image 1: best caption 0 (own) → hit
        assertEquals(1.0, r.imageToText().get(1), 1e-12);
        // text→image: caption 2 belongs to image 0 but is closest to image 1 → 2 of 3
        assertEquals(2 / 3.0, r.textToImage().get(1), 1e-12);
    }

    @Test
    void recallAtKFromHitLists() {
        List<List<SearchHit>> res = List.of(
                List.of(new SearchHit(3, 0.9f), new SearchHit(1, 0.5f)),
                List.of(new SearchHit(0, 0.9f), new SearchHit(2, 0.5f)));
        List<Set<Integer>> rel = List.of(Set.of(1), Set.of(7));
        assertEquals(0.0, RetrievalMetrics.recallAtK(res, rel, 1));
        assertEquals(0.5, RetrievalMetrics.recallAtK(res, rel, 2));
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.recallAtK(res, List.of(Set.of(1)), 1));
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.recall(new float[][] {{1, 0}}, new float[][] {{1, 0}}, new int[] {1}));
    }

    @Test
    void reRankerOrdersImagesForAPrompt() {
        Clip clip = FakeClip.create();
        List<byte[]> imgs = List.of(FakeClip.png(0, 0, 250), FakeClip.png(250, 0, 0), FakeClip.png(120, 120, 0));
        List<ReRanker.Ranked> r = ReRanker.rankImages(clip, "a red square", imgs);
        assertEquals(List.of(1, 2, 0), r.stream().map(ReRanker.Ranked::index).toList());
        assertEquals(1.0, r.stream().mapToDouble(ReRanker.Ranked::probability).sum(), 1e-12);
        assertEquals(100 * r.getFirst().score(), r.getFirst().logit(), 1e-3);
        List<ReRanker.Ranked> t = ReRanker.rankTexts(clip, FakeClip.png(0, 240, 0), List.of("red", "a green thing", "blue"));
        assertEquals(1, t.getFirst().index());
    }

    @Test
    void reRankerKeepsInputOrderOnTies() {
        List<ReRanker.Ranked> r = ReRanker.rank(new float[] {1, 0}, new float[][] {{0, 1}, {2, 0}, {0, 3}, {1, 0}}, 10);
        assertEquals(List.of(1, 3, 0, 2), r.stream().map(ReRanker.Ranked::index).toList());
        assertEquals(r.get(0).probability(), r.get(1).probability(), 0);
    }

    @Test
    void crossModalSearchFindsTheMatchingImage() {
        Clip clip = FakeClip.create();
        EmbeddingIndex images = CrossModalSearch.indexImages(clip, List.of(FakeClip.png(250, 0, 0), FakeClip.png(0, 250, 0), FakeClip.png(0, 0, 250)), 2);
        var hits = CrossModalSearch.textToImage(clip, images, List.of("green", "blue"), 1);
        assertEquals(1, hits.get(0).getFirst().id());
        assertEquals(2, hits.get(1).getFirst().id());
        EmbeddingIndex texts = CrossModalSearch.indexTexts(clip, List.of("red", "green", "blue"), 2);
        assertEquals(0, CrossModalSearch.imageToText(clip, texts, List.of(FakeClip.png(250, 0, 0)), 1).getFirst().getFirst().id());
    }
}
