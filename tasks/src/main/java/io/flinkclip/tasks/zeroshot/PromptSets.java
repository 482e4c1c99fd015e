package io.flinkclip.tasks.zeroshot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The prompt sets OpenAI published with CLIP (MIT, see {@code prompts/LICENSE-openai-clip.txt}), shipped as
 * our own plain-text resources: {@code NAME.classes.txt} (one class per line, synonyms separated by tabs) and
 * {@code NAME.templates.txt} (one template per line, {@code {}} marks the class name).
 */
public final class PromptSets {
    private static final String DIR = "/io/flinkclip/tasks/prompts/";

    private PromptSets() {}

    /** ImageNet's 1,000 class names and the 80 ensemble templates. */
    public static PromptSet imagenet() {
        return load("ImageNet", "imagenet");
    }

    /** The 80 ImageNet templates alone. */
    public static List<String> imagenetTemplates() {
        return lines("imagenet.templates.txt");
    }

    /** The 26 dataset names (as OpenAI spells them, e.g. {@code CIFAR10}). */
    public static List<String> datasets() {
        return lines("datasets.txt");
    }

    /** A dataset's prompt set; the name is matched case-insensitively ({@code "cifar10"} works). */
    public static PromptSet forDataset(String name) {
        if (name.equalsIgnoreCase("imagenet")) return imagenet();
        for (String d : datasets()) {
            if (d.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) return load(d, d);
        }
        throw new IllegalArgumentException("unknown prompt set '" + name + "'; known: ImageNet, " + String.join(", ", datasets()));
    }

    private static PromptSet load(String name, String file) {
        List<List<String>> classes = lines(file + ".classes.txt").stream()
                .map(l -> Arrays.asList(l.split("\t"))).toList();
        return new PromptSet(name, classes, lines(file + ".templates.txt"));
    }

    private static List<String> lines(String resource) {
        InputStream in = PromptSets.class.getResourceAsStream(DIR + resource);
        if (in == null) throw new IllegalStateException("missing resource " + DIR + resource + " (broken flink-clip-tasks jar?)");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> out = new ArrayList<>();
            for (String l; (l = r.readLine()) != null; ) if (!l.isEmpty()) out.add(l);
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }
}
