package io.flinkclip.tasks.eval;

import io.flinkclip.tasks.data.Dataset;

import java.util.List;

/** Test helper: a dataset held in memory. */
record InMemoryDataset(List<String> classNames, List<byte[]> images, int[] labelArray) implements Dataset {
    @Override
    public int size() { return images.size(); }

    @Override
    public int label(int i) { return labelArray[i]; }

    @Override
    public byte[] image(int i) { return images.get(i); }

    @Override
    public String name() { return "in-memory"; }

    @Override
    public String describe(int i) { return "in-memory #" + i; }
}
