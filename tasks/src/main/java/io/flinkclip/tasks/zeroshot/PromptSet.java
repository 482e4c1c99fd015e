package io.flinkclip.tasks.zeroshot;

import java.util.List;

/**
 * Class names and prompt templates for one dataset. A class may have several names (synonyms, as in
 * OpenAI's FER2013 prompts); its embedding averages over every name × template. The first name is the label.
 */
public record PromptSet(String name, List<List<String>> classNames, List<String> templates) {
    public PromptSet {
        if (classNames.isEmpty()) throw new IllegalArgumentException("prompt set " + name + " has no classes");
        for (int i = 0; i < classNames.size(); i++) {
            if (classNames.get(i).isEmpty()) throw new IllegalArgumentException("class " + i + " of " + name + " has no name");
        }
        classNames = classNames.stream().map(List::copyOf).toList();
        templates = PromptTemplates.validate(templates);
    }

    /** One name per class and the given templates (the usual case for user-defined labels). */
    public static PromptSet of(String name, List<String> labels, List<String> templates) {
        return new PromptSet(name, labels.stream().map(List::of).toList(), templates);
    }

    /** The display label of each class (its first name). */
    public List<String> labels() {
        return classNames.stream().map(List::getFirst).toList();
    }

    /** The same classes with other templates (e.g. a user's own). */
    public PromptSet withTemplates(List<String> newTemplates) {
        return new PromptSet(name, classNames, newTemplates);
    }
}
