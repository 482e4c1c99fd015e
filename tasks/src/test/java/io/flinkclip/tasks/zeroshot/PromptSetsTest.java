package io.flinkclip.tasks.zeroshot;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PromptSetsTest {
    private static Path shared(String p) { return Path.of(System.getProperty("clip.shared.dir"), p); }

    @Test
    void imagenetMatchesTheReferenceLists() throws Exception {
        PromptSet p = PromptSets.imagenet();
        assertEquals(Files.readAllLines(shared("prompts/imagenet_classes.txt"), StandardCharsets.UTF_8), p.labels());
        assertEquals(Files.readAllLines(shared("prompts/imagenet_templates.txt"), StandardCharsets.UTF_8), p.templates());
        assertEquals(1000, p.labels().size());
        assertEquals(80, p.templates().size());
        assertEquals(p.templates(), PromptSets.imagenetTemplates());
    }

    @Test
    void datasetsAreAllLoadable() {
        List<String> names = PromptSets.datasets();
        assertEquals(26, names.size());
        for (String n : names) {
            PromptSet p = PromptSets.forDataset(n);
            assertFalse(p.classNames().isEmpty(), n);
            assertFalse(p.templates().isEmpty(), n);
        }
    }

    @Test
    void lookupIsCaseInsensitive() {
        PromptSet c = PromptSets.forDataset("cifar10");
        assertEquals("CIFAR10", c.name());
        assertEquals(List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"), c.labels());
        assertEquals(18, c.templates().size());
        assertEquals("a photo of a {}.", c.templates().getFirst());
        assertEquals(1000, PromptSets.forDataset("IMAGENET").labels().size());
        var ex = assertThrows(IllegalArgumentException.class, () -> PromptSets.forDataset("nope"));
        assertTrue(ex.getMessage().contains("CIFAR100"));
    }

    @Test
    void synonymsSurviveTheConversion() {
        PromptSet fer = PromptSets.forDataset("FacialEmotionRecognition2013");
        assertEquals(7, fer.classNames().size());
        assertEquals(List.of("happy", "smiling"), fer.classNames().get(3));
        assertEquals("happy", fer.labels().get(3));
    }

    @Test
    void userTemplatesReplaceTheShippedOnes() {
        PromptSet p = PromptSets.forDataset("cifar10").withTemplates(List.of("a blurry photo of a {}."));
        assertEquals(List.of("a blurry photo of a {}."), p.templates());
        assertEquals(10, p.labels().size());
    }
}
