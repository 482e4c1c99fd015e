package io.flinkclip.training;

import io.flinkclip.io.DType;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReferenceParityTest {
    /** A reference file in the shared format, made from the toy model itself (token embedding stored sparse). */
    private static StateDict referenceFromToy(int n) {
        Random r = new Random(9);
        float[] px = GradCacheTest.pixels(r, n + 2, 4);
        int[][] tok = GradCacheTest.tokens(r, n + 2, 40, 6);
        ToyClip m = ToyClip.small(3);
        GradCache.Result res = GradCache.lossAndGradients(m, java.util.Arrays.copyOf(px, n * 48), java.util.Arrays.copyOf(tok, n), n);
        StateDict sd = new StateDict();
        sd.put(Tensor.of("pixels", new int[]{n + 2, 3, 4, 4}, px));
        long[] tl = new long[(n + 2) * 6];
        for (int i = 0; i < n + 2; i++) for (int t = 0; t < 6; t++) tl[i * 6 + t] = tok[i][t];
        sd.put(new Tensor("tokens", DType.I32, new int[]{n + 2, 6}, null, tl));
        sd.put(Tensor.of("train.loss", new int[0], new float[]{(float) res.loss()}));
        for (Tensor g : m.gradients().tensors()) {
            if (!g.name().equals("token_embedding.weight")) {
                sd.put(Tensor.of("grad." + g.name(), g.shape(), g.data().clone()));
                continue;
            }
            BitSet rows = new BitSet();
            for (int row = 0; row < g.dim(0); row++) for (int k = 0; k < g.dim(1); k++) if (g.data()[row * g.dim(1) + k] != 0) rows.set(row);
            long[] idx = rows.stream().asLongStream().toArray();
            float[] vals = new float[idx.length * g.dim(1)];
            for (int i = 0; i < idx.length; i++) System.arraycopy(g.data(), (int) idx[i] * g.dim(1), vals, i * g.dim(1), g.dim(1));
            sd.put(new Tensor("grad_sparse_rows." + g.name(), DType.I64, new int[]{idx.length}, null, idx));
            sd.put(Tensor.of("grad_sparse_values." + g.name(), new int[]{idx.length, g.dim(1)}, vals));
        }
        return sd;
    }

    @Test
    void passesForTheSameModelWithChunkingAndNamesAWrongGradient() {
        StateDict ref = referenceFromToy(6);
        ReferenceParity.Report ok = ReferenceParity.check(ToyClip.small(3), ref, 6, 4);
        assertTrue(ok.ok(), ok.failures().toString());
        assertTrue(ok.relativeL2() < 1e-6);
        ref.get("grad.visual.proj").data()[3] += 0.5f;
        ReferenceParity.Report bad = ReferenceParity.check(ToyClip.small(3), ref, 6, 6);
        assertFalse(bad.ok());
        assertTrue(bad.failures().get(0).startsWith("visual.proj"), bad.failures().toString());
        ref.remove("grad.text_projection");
        assertTrue(ReferenceParity.check(ToyClip.small(3), ref, 6, 6).failures().stream().anyMatch(f -> f.contains("text_projection: no reference")));
        assertEquals(ok.referenceLoss(), ok.loss(), 1e-6);
        ref.put(Tensor.of("grad.visual.extra", new int[]{1}, new float[1]));
        assertTrue(ReferenceParity.check(ToyClip.small(3), ref, 6, 6).failures().stream().anyMatch(f -> f.startsWith("visual.extra: the model has no")));
    }
}
