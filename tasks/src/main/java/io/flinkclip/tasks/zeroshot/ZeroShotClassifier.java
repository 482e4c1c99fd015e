package io.flinkclip.tasks.zeroshot;

import io.flinkclip.kernels.Gemm;
import io.flinkclip.model.Clip;
import io.flinkclip.tasks.Vectors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Zero-shot classification as in the CLIP paper: each class is represented by the (renormalised) mean of
 * its normalised prompt embeddings; an image's logits are exp(logit_scale) · cos(image, class), and a
 * softmax over the classes gives probabilities. Immutable and thread-safe.
 */
public final class ZeroShotClassifier {
    /** Texts sent to the text encoder at once while building class embeddings (bounds memory). */
    private static final int TEXT_BATCH = 256;

    private final List<String> labels;
    private final ClassEmbeddings classes;
    private final float temperature;

    public ZeroShotClassifier(List<String> labels, ClassEmbeddings classes, float temperature) {
        if (labels.size() != classes.classes()) {
            throw new IllegalArgumentException(labels.size() + " labels for " + classes.classes() + " class embeddings");
        }
        if (!(temperature > 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be positive and finite, got " + temperature);
        this.labels = List.copyOf(labels);
        this.classes = classes;
        this.temperature = temperature;
    }

    /** Builds (or takes from the shared cache) the class embeddings of {@code prompts} for the model {@code modelId}. */
    public static ZeroShotClassifier create(Clip clip, String modelId, PromptSet prompts) {
        return create(clip, modelId, prompts, ClassEmbeddingCache.shared());
    }

    public static ZeroShotClassifier create(Clip clip, String modelId, List<String> labels, List<String> templates) {
        return create(clip, modelId, PromptSet.of("custom", labels, templates));
    }

    public static ZeroShotClassifier create(Clip clip, String modelId, PromptSet prompts, ClassEmbeddingCache cache) {
        var key = new ClassEmbeddingCache.Key(modelId, prompts.classNames(), prompts.templates());
        ClassEmbeddings emb = cache.get(key, () -> classEmbeddings(prompts.classNames(), prompts.templates(), clip::embedTexts));
        return new ZeroShotClassifier(prompts.labels(), emb, clip.temperature());
    }

    /**
     * The prompt ensemble: for each class, embed every name × template, normalise each embedding, average,
     * and normalise the average (OpenAI's {@code zeroshot_classifier}).
     */
    public static ClassEmbeddings classEmbeddings(List<List<String>> classNames, List<String> templates, TextEmbedder embedder) {
        templates = PromptTemplates.validate(templates);
        if (classNames.isEmpty()) throw new IllegalArgumentException("no classes");
        List<String> texts = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int c = 0; c < classNames.size(); c++) {
            if (classNames.get(c).isEmpty()) throw new IllegalArgumentException("class " + c + " has no name");
            for (String name : classNames.get(c)) {
                for (String t : templates) {
                    texts.add(PromptTemplates.fill(t, name));
                    owners.add(c);
                }
            }
        }
        double[][] sums = null;
        int dim = -1;
        for (int start = 0; start < texts.size(); start += TEXT_BATCH) {
            List<String> batch = texts.subList(start, Math.min(texts.size(), start + TEXT_BATCH));
            float[][] emb = embedder.embed(batch);
            if (emb.length != batch.size()) throw new IllegalStateException("text embedder returned " + emb.length + " rows for " + batch.size() + " texts");
            for (int i = 0; i < emb.length; i++) {
                if (dim < 0) {
                    dim = emb[i].length;
                    sums = new double[classNames.size()][dim];
                }
                float[] n = Vectors.normalized(emb[i]);
                Vectors.requireDim(n, dim, "embedding of '" + batch.get(i) + "'");
                double[] s = sums[owners.get(start + i)];
                for (int j = 0; j < dim; j++) s[j] += n[j];
            }
        }
        float[][] rows = new float[classNames.size()][dim];
        for (int c = 0; c < rows.length; c++) {
            double count = classNames.get(c).size() * (double) templates.size();
            for (int j = 0; j < dim; j++) rows[c][j] = (float) (sums[c][j] / count);
        }
        return new ClassEmbeddings(rows);
    }

    public List<String> labels() { return labels; }

    public ClassEmbeddings classEmbeddings() { return classes; }

    public float temperature() { return temperature; }

    /** Logits (n × classes) for unnormalised image embeddings; each image is normalised first. */
    public float[][] logits(float[][] imageEmbeddings) {
        int n = imageEmbeddings.length, k = classes.classes(), d = classes.dim();
        if (n == 0) return new float[0][];
        float[] a = Vectors.flatten(Vectors.normalizedRows(imageEmbeddings, d), d);
        float[] c = new float[n * k];
        Gemm.nt(a, 0, classes.matrix(), 0, null, c, 0, n, k, d, false);
        float[][] out = new float[n][k];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) out[i][j] = temperature * c[i * k + j];
        }
        return out;
    }

    /** Softmax probabilities (n × classes); each row sums to 1. */
    public double[][] probabilities(float[][] imageEmbeddings) {
        float[][] logits = logits(imageEmbeddings);
        double[][] p = new double[logits.length][];
        for (int i = 0; i < logits.length; i++) p[i] = Vectors.softmax(logits[i]);
        return p;
    }

    /** The top-{@code k} classes per image, most probable first; ties go to the lower class index. */
    public List<List<Prediction>> classify(float[][] imageEmbeddings, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        int kk = Math.min(k, labels.size());
        float[][] logits = logits(imageEmbeddings);
        List<List<Prediction>> out = new ArrayList<>(logits.length);
        for (float[] row : logits) {
            double[] p = Vectors.softmax(row);
            List<Prediction> all = new ArrayList<>(row.length);
            for (int j = 0; j < row.length; j++) all.add(new Prediction(labels.get(j), j, p[j], row[j]));
            all.sort(Comparator.comparingDouble((Prediction x) -> -x.logit()).thenComparingInt(Prediction::index));
            out.add(List.copyOf(all.subList(0, kk)));
        }
        return out;
    }

    /** Encodes the images with {@code clip} and classifies them. */
    public List<List<Prediction>> classifyImages(Clip clip, List<byte[]> encodedImages, int k) {
        return classify(clip.embedImages(encodedImages), k);
    }

    /** The index of the most likely class per image. */
    public int[] predict(float[][] imageEmbeddings) {
        float[][] logits = logits(imageEmbeddings);
        int[] out = new int[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = argmax(logits[i]);
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int j = 1; j < v.length; j++) if (v[j] > v[best]) best = j;
        return best;
    }
}
