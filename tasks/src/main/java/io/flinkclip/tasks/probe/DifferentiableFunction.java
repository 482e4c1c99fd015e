package io.flinkclip.tasks.probe;

/** A smooth objective for {@link Lbfgs}: value and gradient at a point. */
public interface DifferentiableFunction {
    int dimension();

    /** Returns f(x) and writes ∇f(x) into {@code gradient} (length {@link #dimension()}). */
    double valueAndGradient(double[] x, double[] gradient);
}
