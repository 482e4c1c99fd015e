package io.flinkclip.tasks.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded k-shot sampling: k samples of every class (the CLIP paper's 1, 2, 4, 8, 16-shot probes). */
public final class FewShotSampler {
    public static final int[] STANDARD_SHOTS = {1, 2, 4, 8, 16};

    private FewShotSampler() {}

    /**
     * Indices of {@code k} samples per class, grouped by class and ascending within a class. The same
     * (labels, k, seed) always gives the same indices.
     *
     * @throws IllegalArgumentException when a class has fewer than k samples
     */
    public static int[] sample(int[] labels, int classes, int k, long seed) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside [0, " + classes + ")");
            byClass.get(labels[i]).add(i);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] out = new int[classes * k];
        for (int c = 0; c < classes; c++) {
            List<Integer> idx = byClass.get(c);
            if (idx.size() < k) throw new IllegalArgumentException("class " + c + " has " + idx.size() + " samples, fewer than k = " + k);
            int[] a = idx.stream().mapToInt(Integer::intValue).toArray();
            for (int i = 0; i < k; i++) { // partial Fisher–Yates: the first k positions are a uniform sample
                int j = i + rnd.nextInt(a.length - i);
                int t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
            int[] chosen = Arrays.copyOf(a, k);
            Arrays.sort(chosen);
            System.arraycopy(chosen, 0, out, c * k, k);
        }
        return out;
    }

    /** Seeded split of sample indices into (train, validation), stratified per class; {@code validationFraction} in (0, 1). */
    public static int[][] stratifiedSplit(int[] labels, int classes, double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside [0, " + classes + ")");
            byClass.get(labels[i]).add(i);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Integer> train = new ArrayList<>(), val = new ArrayList<>();
        for (List<Integer> idx : byClass) {
            int[] a = idx.stream().mapToInt(Integer::intValue).toArray();
            for (int i = a.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
            // at least one validation sample per class when the class has two or more samples
            int nVal = a.length < 2 ? 0 : Math.max(1, (int) Math.round(a.length * validationFraction));
            for (int i = 0; i < a.length; i++) (i < nVal ? val : train).add(a[i]);
        }
        if (val.isEmpty() || train.isEmpty()) throw new IllegalArgumentException("too few samples (" + labels.length + ") for a train/validation split");
        return new int[][] {train.stream().mapToInt(Integer::intValue).sorted().toArray(), val.stream().mapToInt(Integer::intValue).sorted().toArray()};
    }

    /**
     * Up to {@code perClass} samples of every class that are not in {@code exclude}, seeded: a validation set
     * for k-shot probes, whose k training samples per class are too few to split.
     */
    public static int[] heldOut(int[] labels, int classes, int[] exclude, int perClass, long seed) {
        java.util.Set<Integer> skip = new java.util.HashSet<>();
        for (int e : exclude) skip.add(e);
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside [0, " + classes + ")");
            if (!skip.contains(i)) byClass.get(labels[i]).add(i);
        }
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Integer> out = new ArrayList<>();
        for (List<Integer> idx : byClass) {
            int[] a = idx.stream().mapToInt(Integer::intValue).toArray();
            int take = Math.min(perClass, a.length);
            for (int i = 0; i < take; i++) {
                int j = i + rnd.nextInt(a.length - i);
                int t = a[i];
                a[i] = a[j];
                a[j] = t;
                out.add(a[i]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).sorted().toArray();
    }
}
