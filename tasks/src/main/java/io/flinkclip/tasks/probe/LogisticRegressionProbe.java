package io.flinkclip.tasks.probe;

import io.flinkclip.tasks.Vectors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A linear probe: multinomial logistic regression on frozen, L2-normalised CLIP features, trained with
 * {@link Lbfgs} on {@link SoftmaxObjective} (sklearn's {@code LogisticRegression(C=…)} objective, as in
 * the CLIP paper). Inputs are normalised by the probe itself, at training and at prediction time.
 */
public final class LogisticRegressionProbe {
    private final List<String> classNames;
    private final int dim;
    private final double c;
    private final double[] weights; // classes × dim
    private final double[] bias;

    LogisticRegressionProbe(List<String> classNames, int dim, double c, double[] weights, double[] bias) {
        if (weights.length != classNames.size() * dim || bias.length != classNames.size()) {
            throw new IllegalArgumentException("probe parameters do not match " + classNames.size() + " classes × " + dim);
        }
        this.classNames = List.copyOf(classNames);
        this.dim = dim;
        this.c = c;
        this.weights = weights;
        this.bias = bias;
    }

    /** Trains with the default L-BFGS options (1000 iterations). */
    public static LogisticRegressionProbe train(float[][] features, int[] labels, List<String> classNames, double c) {
        return train(new FeatureMatrix(features, labels, classNames.size()), classNames, c, Lbfgs.Options.defaults(), null);
    }

    /**
     * @param warmStart parameters of an earlier probe on the same shape (speeds up the C search), or null
     */
    public static LogisticRegressionProbe train(FeatureMatrix data, List<String> classNames, double c, Lbfgs.Options options, LogisticRegressionProbe warmStart) {
        if (classNames.size() != data.classes()) throw new IllegalArgumentException(classNames.size() + " class names for " + data.classes() + " classes");
        SoftmaxObjective objective = new SoftmaxObjective(data, c);
        double[] start = new double[objective.dimension()];
        if (warmStart != null && warmStart.dim == data.dim() && warmStart.classes() == data.classes()) {
            System.arraycopy(warmStart.weights, 0, start, 0, warmStart.weights.length);
            System.arraycopy(warmStart.bias, 0, start, warmStart.weights.length, warmStart.bias.length);
        }
        Lbfgs.Result r = new Lbfgs(options).minimize(objective, start);
        int wl = data.classes() * data.dim();
        double[] w = new double[wl], b = new double[data.classes()];
        System.arraycopy(r.x(), 0, w, 0, wl);
        System.arraycopy(r.x(), wl, b, 0, b.length);
        return new LogisticRegressionProbe(classNames, data.dim(), c, w, b);
    }

    public List<String> classNames() { return classNames; }

    public int classes() { return classNames.size(); }

    public int dim() { return dim; }

    /** The inverse regularisation strength it was trained with. */
    public double c() { return c; }

    /** Copy of the weights, classes × dim row-major. */
    public double[] weights() { return weights.clone(); }

    public double[] bias() { return bias.clone(); }

    /** W·x̂ + b for the normalised feature x̂. */
    public double[] logits(float[] feature) {
        Vectors.requireDim(feature, dim, "feature");
        float[] x = Vectors.normalized(feature);
        double[] z = new double[classes()];
        for (int k = 0; k < z.length; k++) {
            double s = bias[k];
            for (int j = 0; j < dim; j++) s += weights[k * dim + j] * x[j];
            z[k] = s;
        }
        return z;
    }

    public double[] probabilities(float[] feature) {
        double[] z = logits(feature);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : z) max = Math.max(max, v);
        for (int k = 0; k < z.length; k++) sum += z[k] = Math.exp(z[k] - max);
        for (int k = 0; k < z.length; k++) z[k] /= sum;
        return z;
    }

    /** The most likely class (lowest index on ties). */
    public int predict(float[] feature) {
        double[] z = logits(feature);
        int best = 0;
        for (int k = 1; k < z.length; k++) if (z[k] > z[best]) best = k;
        return best;
    }

    public int[] predict(float[][] features) {
        int[] out = new int[features.length];
        for (int i = 0; i < out.length; i++) out[i] = predict(features[i]);
        return out;
    }

    /** Fraction of samples whose predicted class equals the label. */
    public double accuracy(float[][] features, int[] labels) {
        if (features.length != labels.length) throw new IllegalArgumentException(features.length + " features but " + labels.length + " labels");
        if (features.length == 0) throw new IllegalArgumentException("no samples to score");
        int hit = 0;
        for (int i = 0; i < labels.length; i++) if (predict(features[i]) == labels[i]) hit++;
        return hit / (double) labels.length;
    }

    public void save(Path file) throws IOException { ProbeFile.write(this, file); }

    public static LogisticRegressionProbe load(Path file) throws IOException { return ProbeFile.read(file); }

    double[] rawWeights() { return weights; }

    double[] rawBias() { return bias; }
}
