package io.flinkclip.tasks.eval;

import io.flinkclip.model.Clip;
import io.flinkclip.model.image.ImageDecodeException;
import io.flinkclip.tasks.data.CaptionsDataset;
import io.flinkclip.tasks.data.Dataset;
import io.flinkclip.tasks.probe.FeatureMatrix;
import io.flinkclip.tasks.probe.FewShotSampler;
import io.flinkclip.tasks.probe.LogisticRegressionProbe;
import io.flinkclip.tasks.probe.RegularizationSearch;
import io.flinkclip.tasks.retrieval.RetrievalMetrics;
import io.flinkclip.tasks.zeroshot.Prediction;
import io.flinkclip.tasks.zeroshot.PromptSet;
import io.flinkclip.tasks.zeroshot.ZeroShotClassifier;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The three CLIP evaluations behind {@code bin/clip eval}: zero-shot classification, linear probes and
 * caption retrieval. Each has a model-facing entry (encodes a dataset with a {@link Clip}) and an
 * embedding-facing one (for precomputed features and for tests).
 */
public final class Evaluator {
    private Evaluator() {}

    // ---------------------------------------------------------------- zero-shot

    /** Zero-shot with the dataset's folder/class names filled into {@code templates}. */
    public static ZeroShotReport zeroShot(Clip clip, Dataset ds, List<String> templates, EvalOptions opts) {
        return zeroShot(clip, ds, PromptSet.of(ds.name(), ds.classNames(), templates), opts);
    }

    /** Zero-shot with a prompt set whose classes are the dataset's classes, in the same order. */
    public static ZeroShotReport zeroShot(Clip clip, Dataset ds, PromptSet prompts, EvalOptions opts) {
        if (prompts.classNames().size() != ds.classNames().size()) {
            throw new IllegalArgumentException("prompt set " + prompts.name() + " has " + prompts.classNames().size() + " classes, the dataset " + ds.classNames().size());
        }
        ZeroShotClassifier clf = ZeroShotClassifier.create(clip, opts.modelId(), prompts);
        int n = count(ds.size(), opts);
        float[][] emb = embedImages(clip, ds, n, opts);
        return zeroShot(clf, emb, Arrays.copyOf(ds.labels(), n), prompts.name(), prompts.templates().size());
    }

    public static ZeroShotReport zeroShot(ZeroShotClassifier clf, float[][] imageEmbeddings, int[] labels, String name, int templates) {
        if (imageEmbeddings.length != labels.length) throw new IllegalArgumentException(imageEmbeddings.length + " embeddings but " + labels.length + " labels");
        if (labels.length == 0) throw new IllegalArgumentException("nothing to evaluate");
        int k5 = Math.min(5, clf.labels().size());
        ConfusionMatrix cm = new ConfusionMatrix(clf.labels());
        int top1 = 0, top5 = 0;
        List<List<Prediction>> preds = clf.classify(imageEmbeddings, k5);
        for (int i = 0; i < labels.length; i++) {
            List<Prediction> p = preds.get(i);
            cm.add(labels[i], p.getFirst().index());
            if (p.getFirst().index() == labels[i]) top1++;
            for (Prediction q : p) if (q.index() == labels[i]) top5++;
        }
        return new ZeroShotReport(name, labels.length, templates, top1 / (double) labels.length, top5 / (double) labels.length,
                cm.meanPerClassAccuracy(), cm);
    }

    // ---------------------------------------------------------------- linear probe

    public static LinearProbeReport linearProbe(Clip clip, Dataset train, Dataset test, ProbeOptions probe, EvalOptions opts) {
        if (!train.classNames().equals(test.classNames())) throw new IllegalArgumentException("train and test datasets have different classes");
        int nTrain = count(train.size(), opts), nTest = count(test.size(), opts);
        float[][] trainX = embedImages(clip, train, nTrain, opts), testX = embedImages(clip, test, nTest, opts);
        return linearProbe(trainX, Arrays.copyOf(train.labels(), nTrain), testX, Arrays.copyOf(test.labels(), nTest), train.classNames(), probe, train.name());
    }

    /**
     * Full data: C is searched on a stratified validation split of the training set and the probe is refit on
     * all of it. k-shot: k samples per class are drawn (seeded); C is searched on up to
     * {@code validationPerClass} other training samples per class, and the probe is trained on the k shots.
     */
    public static LinearProbeReport linearProbe(float[][] trainX, int[] trainY, float[][] testX, int[] testY, List<String> classNames,
                                                ProbeOptions probe, String name) {
        if (testX.length == 0) throw new IllegalArgumentException("empty test set");
        int k = classNames.size();
        RegularizationSearch.Result search;
        LogisticRegressionProbe model;
        int trainSamples;
        if (probe.shots() == 0) {
            RegularizationSearch.Fit fit = RegularizationSearch.fit(trainX, trainY, classNames, probe.validationFraction(), probe.seed(), probe.search());
            search = fit.search();
            model = fit.probe();
            trainSamples = trainX.length;
        } else {
            int[] shots = FewShotSampler.sample(trainY, k, probe.shots(), probe.seed());
            int[] val = FewShotSampler.heldOut(trainY, k, shots, probe.validationPerClass(), probe.seed());
            if (val.length == 0) throw new IllegalArgumentException("no training samples left for validation after drawing " + probe.shots() + " shots per class");
            FeatureMatrix data = new FeatureMatrix(select(trainX, shots), select(trainY, shots), k);
            search = RegularizationSearch.search(data, select(trainX, val), select(trainY, val), classNames, probe.search());
            model = LogisticRegressionProbe.train(data, classNames, search.bestC(), probe.search().lbfgs(), null);
            trainSamples = shots.length;
        }
        ConfusionMatrix cm = ConfusionMatrix.of(classNames, testY, model.predict(testX));
        return new LinearProbeReport(name, probe.shots(), trainSamples, testX.length, search, model, cm.accuracy(), cm.meanPerClassAccuracy(), cm);
    }

    // ---------------------------------------------------------------- retrieval

    public static RetrievalReport retrieval(Clip clip, CaptionsDataset ds, EvalOptions opts, int... ks) {
        int nImages = count(ds.images().size(), opts);
        int[] owner = ds.imageOfCaption();
        List<String> texts = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int t = 0; t < owner.length; t++) {
            if (owner[t] < nImages) {
                texts.add(ds.captions().get(t));
                owners.add(owner[t]);
            }
        }
        float[][] img = embed(clip, nImages, opts, "images", i -> ds.imageBytes(i), i -> ds.images().get(i).toString());
        float[][] txt = embedTexts(clip, texts, opts);
        return retrieval(img, txt, owners.stream().mapToInt(Integer::intValue).toArray(), ds.name(), ks);
    }

    public static RetrievalReport retrieval(float[][] imageEmbeddings, float[][] textEmbeddings, int[] imageOfText, String name, int... ks) {
        return new RetrievalReport(name, imageEmbeddings.length, textEmbeddings.length,
                RetrievalMetrics.recall(imageEmbeddings, textEmbeddings, imageOfText, ks));
    }

    // ---------------------------------------------------------------- encoding

    /** Embeds the first {@code n} images of {@code ds}; a bad image fails with its sample named. */
    public static float[][] embedImages(Clip clip, Dataset ds, int n, EvalOptions opts) {
        return embed(clip, n, opts, "images", ds::image, ds::describe);
    }

    private static float[][] embed(Clip clip, int n, EvalOptions opts, String what, IntFunction<byte[]> bytes, IntFunction<String> describe) {
        if (n == 0) throw new IllegalArgumentException("no " + what + " to evaluate");
        float[][] out = new float[n][];
        try (ProgressBar bar = ProgressBar.start("encoding " + what, n, opts.progress())) {
            for (int start = 0; start < n; start += opts.batchSize()) {
                int end = Math.min(n, start + opts.batchSize());
                List<float[]> pixels = new ArrayList<>(end - start);
                for (int i = start; i < end; i++) {
                    try {
                        pixels.add(clip.pixels(bytes.apply(i)));
                    } catch (ImageDecodeException e) {
                        throw new ImageDecodeException(describe.apply(i) + ": " + e.getMessage(), e);
                    }
                }
                float[][] emb = clip.embedPixels(pixels);
                System.arraycopy(emb, 0, out, start, emb.length);
                bar.step(end - start);
            }
        }
        return out;
    }

    private static float[][] embedTexts(Clip clip, List<String> texts, EvalOptions opts) {
        if (texts.isEmpty()) throw new IllegalArgumentException("no captions to evaluate");
        float[][] out = new float[texts.size()][];
        try (ProgressBar bar = ProgressBar.start("encoding captions", texts.size(), opts.progress())) {
            for (int start = 0; start < texts.size(); start += opts.batchSize()) {
                int end = Math.min(texts.size(), start + opts.batchSize());
                float[][] emb = clip.embedTexts(texts.subList(start, end));
                System.arraycopy(emb, 0, out, start, emb.length);
                bar.step(end - start);
            }
        }
        return out;
    }

    private static int count(int size, EvalOptions opts) {
        return opts.limit() == 0 ? size : Math.min(size, opts.limit());
    }

    private static float[][] select(float[][] rows, int[] idx) {
        float[][] out = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) out[i] = rows[idx[i]];
        return out;
    }

    private static int[] select(int[] v, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = v[idx[i]];
        return out;
    }
}
