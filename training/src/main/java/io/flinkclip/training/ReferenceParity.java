package io.flinkclip.training;

import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks a {@link TrainableClip} against the reference training batch of /work/shared-style reference files
 * (expected.safetensors): the first {@code n} images ({@code pixels}) paired with the first {@code n} texts
 * ({@code tokens}), loss {@code train.loss}, gradients {@code grad.<param>} (token embedding as
 * {@code grad_sparse_rows/values}). Tolerances are the reference README's: loss 1e-5 relative; per tensor
 * max|Δ| ≤ 1e-3·max|g_ref| + 1e-4·G (G = largest reference gradient); all gradients relative L2 ≤ 1e-3.
 */
public final class ReferenceParity {
    /** @param failures one line per violated tolerance; empty when the model matches */
    public record Report(double loss, double referenceLoss, double relativeL2, List<String> failures) {
        public boolean ok() { return failures.isEmpty(); }
    }

    private ReferenceParity() {}

    public static Report check(TrainableClip model, StateDict expected, int n, int chunk) {
        Tensor px = expected.get("pixels");
        int per = px.dim(1) * px.dim(2) * px.dim(3);
        float[] pixels = Arrays.copyOf(px.data(), n * per);
        Tensor tok = expected.get("tokens");
        int ctx = tok.dim(1);
        int[][] tokens = new int[n][ctx];
        for (int i = 0; i < n; i++) for (int t = 0; t < ctx; t++) {
            tokens[i][t] = tok.longs() != null ? (int) tok.longs()[i * ctx + t] : (int) tok.data()[i * ctx + t];
        }
        GradCache.Result r = GradCache.lossAndGradients(model, pixels, tokens, chunk);
        double refLoss = expected.get("train.loss").scalar();
        List<String> failures = new ArrayList<>();
        if (!(Math.abs(r.loss() - refLoss) <= 1e-5 * Math.abs(refLoss))) failures.add("loss " + r.loss() + " vs reference " + refLoss);

        StateDict grads = model.gradients();
        double g = 0;
        List<float[]> refs = new ArrayList<>();
        for (Tensor t : grads.tensors()) {
            float[] ref = reference(expected, t, failures);
            refs.add(ref);
            if (ref != null) for (float v : ref) g = Math.max(g, Math.abs(v));
        }
        double diff2 = 0, ref2 = 0;
        int k = 0;
        for (Tensor t : grads.tensors()) {
            float[] ref = refs.get(k++);
            if (ref == null) continue;
            double maxRef = 0, maxDiff = 0;
            for (int i = 0; i < ref.length; i++) {
                double d = t.data()[i] - ref[i];
                maxRef = Math.max(maxRef, Math.abs(ref[i]));
                maxDiff = Math.max(maxDiff, Math.abs(d));
                diff2 += d * d;
                ref2 += (double) ref[i] * ref[i];
            }
            double tol = 1e-3 * maxRef + 1e-4 * g;
            if (!(maxDiff <= tol)) failures.add(t.name() + ": max|Δ| " + maxDiff + " > " + tol + " (max|ref| " + maxRef + ")");
        }
        for (String name : expected.names()) {   // every reference gradient must have a model counterpart
            String param = name.startsWith("grad.") ? name.substring(5) : name.startsWith("grad_sparse_rows.") ? name.substring(17) : null;
            if (param != null && !grads.has(param)) failures.add(param + ": the model has no such parameter gradient");
        }
        double rel = Math.sqrt(diff2 / Math.max(ref2, 1e-300));
        if (!(rel <= 1e-3)) failures.add("all gradients: relative L2 " + rel + " > 1e-3");
        return new Report(r.loss(), refLoss, rel, failures);
    }

    private static float[] reference(StateDict expected, Tensor t, List<String> failures) {
        String dense = "grad." + t.name(), rows = "grad_sparse_rows." + t.name(), values = "grad_sparse_values." + t.name();
        if (expected.has(dense)) {
            Tensor r = expected.get(dense);
            if (r.numel() != t.numel()) {
                failures.add(t.name() + ": reference gradient has " + r.numel() + " values, model " + t.numel());
                return null;
            }
            return r.data();
        }
        if (expected.has(rows) && expected.has(values)) {
            Tensor idx = expected.get(rows), val = expected.get(values);
            int width = t.dim(1);
            float[] full = new float[(int) t.numel()];
            for (int i = 0; i < idx.numel(); i++) {
                int row = (int) (idx.longs() != null ? idx.longs()[i] : idx.data()[i]);
                System.arraycopy(val.data(), i * width, full, row * width, width);
            }
            return full;
        }
        failures.add(t.name() + ": no reference gradient");
        return null;
    }
}
