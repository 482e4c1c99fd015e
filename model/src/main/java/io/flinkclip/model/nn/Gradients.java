package io.flinkclip.model.nn;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Parameter gradients under OpenAI's parameter names, accumulated (+=) by the backward passes. */
public final class Gradients {
    private final Map<String, float[]> grads = new LinkedHashMap<>();
    private final Map<String, int[]> shapes = new LinkedHashMap<>();

    /** The (zero-initialised on first use) gradient buffer of parameter {@code name}. */
    float[] of(String name, int... shape) {
        float[] g = grads.get(name);
        if (g == null) {
            int n = 1;
            for (int d : shape) n *= d;
            g = new float[n];
            grads.put(name, g);
            shapes.put(name, shape.clone());
        } else if (g.length != java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)) {
            throw new IllegalStateException("gradient " + name + " requested with two different shapes");
        }
        return g;
    }

    /** The gradient buffer of {@code name}, allocated zero on first use (a trainer pre-allocating every parameter's). */
    public float[] buffer(String name, int... shape) { return of(name, shape); }

    /** Adds {@code values} into the gradient of {@code name} (e.g. logit_scale's, which a loss computes). */
    public void add(String name, int[] shape, float[] values) {
        float[] g = of(name, shape);
        if (values.length != g.length) throw new IllegalArgumentException(name + ": " + values.length + " values for " + g.length + " gradient entries");
        for (int i = 0; i < g.length; i++) g[i] += values[i];
    }

    public float[] get(String name) { return grads.get(name); }

    public int[] shape(String name) { return shapes.get(name); }

    public Set<String> names() { return grads.keySet(); }

    /** The largest |g| over every parameter (the G of the reference's gradient tolerance). */
    public double maxAbs() {
        double m = 0;
        for (float[] g : grads.values()) for (float v : g) m = Math.max(m, Math.abs(v));
        return m;
    }

    public StateDict toStateDict() {
        StateDict sd = new StateDict();
        grads.forEach((name, g) -> sd.put(Tensor.of(name, shapes.get(name), g)));
        return sd;
    }
}
