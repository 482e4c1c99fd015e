package io.flinkclip.tasks.zeroshot;

/**
 * One ranked class for one image.
 *
 * @param label the class's display name
 * @param index the class's position in the classifier's label list
 * @param probability softmax probability over all classes
 * @param logit exp(logit_scale) · cosine similarity
 */
public record Prediction(String label, int index, double probability, float logit) {}
