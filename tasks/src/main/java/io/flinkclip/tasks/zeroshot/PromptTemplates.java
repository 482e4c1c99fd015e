package io.flinkclip.tasks.zeroshot;

import java.util.List;

/** Fills OpenAI-style prompt templates: every {@code {}} is replaced by the class name. */
public final class PromptTemplates {
    private PromptTemplates() {}

    public static String fill(String template, String className) {
        if (template == null || !template.contains("{}")) {
            throw new IllegalArgumentException("prompt template must contain '{}' where the class name goes: " + template);
        }
        return template.replace("{}", className);
    }

    /** Rejects empty or placeholder-less template lists up front, naming the offending template. */
    public static List<String> validate(List<String> templates) {
        if (templates == null || templates.isEmpty()) throw new IllegalArgumentException("no prompt templates given");
        for (String t : templates) fill(t, "x");
        return List.copyOf(templates);
    }
}
