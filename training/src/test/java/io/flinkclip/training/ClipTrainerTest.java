package io.flinkclip.training;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.Tensor;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.GradClip;
import io.flinkclip.training.optim.WeightDecayRule;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTrainerTest {
    static final ClipTrainer.Options OPT = new ClipTrainer.Options(2, 1.0, new CosineSchedule(1e-2, 2, 20),
            AdamW.Hyper.openClipVit(), WeightDecayRule.openClip());

    private static ClipTrainer.StepStats step(ClipTrainer t, int i) {
        Random r = new Random(100 + i);
        return t.train(GradCacheTest.pixels(r, 6, 4), GradCacheTest.tokens(r, 6, 40, 6));
    }

    @Test
    void snapshotRestoreContinuesBitIdentically() throws Exception {
        ClipTrainer a = new ClipTrainer(ToyClip.small(1), OPT);
        for (int i = 0; i < 3; i++) step(a, i);
        byte[] snap = a.snapshot();
        assertEquals(snap.length, a.snapshotSize());
        ClipTrainer b = new ClipTrainer(ToyClip.small(99), OPT);   // different init: everything must come from the snapshot
        b.restore(snap);
        assertEquals(3, b.step());
        for (int i = 3; i < 6; i++) {
            ClipTrainer.StepStats sa = step(a, i), sb = step(b, i);
            assertEquals(sa, sb);
        }
        for (Tensor t : a.model().parameters().tensors()) {
            assertArrayEquals(t.data(), b.model().parameters().get(t.name()).data(), 0f, t.name());
        }
    }

    private static ClipTrainer resNetTrainer(float shift) {
        java.nio.file.Path ref = java.nio.file.Path.of(System.getProperty("clip.shared.dir", "../shared"), "reference", "tiny-rn-perturbed");
        io.flinkclip.io.StateDict w = io.flinkclip.io.SafeTensors.read(ref.resolve("weights.safetensors"));
        if (shift != 0) for (Tensor t : w.tensors()) if (t.isFloat()) for (int i = 0; i < t.data().length; i++) t.data()[i] += shift;
        return new ClipTrainer(new ClipModelTrainable(w, io.flinkclip.io.ClipConfig.infer(w).withHeads(8, 2)), OPT);
    }

    private static ClipTrainer.StepStats resNetStep(ClipTrainer t, int i) {
        Random r = new Random(200 + i);
        int res = ((ClipModelTrainable) t.model()).config().imageResolution();
        return t.train(GradCacheTest.pixels(r, 6, res), GradCacheTest.tokens(r, 6, 400, 8));
    }

    /** Train-mode BatchNorm: running statistics are buffers, so they travel in the snapshot and resume exactly. */
    @Test
    void resNetWithTrainModeBatchNormResumesBitIdentically() throws Exception {
        ClipTrainer a = resNetTrainer(0);
        float[] runVar0 = a.model().buffers().get("visual.layer1.0.bn2.running_var").data().clone();
        for (int i = 0; i < 2; i++) resNetStep(a, i);
        assertTrue(!java.util.Arrays.equals(runVar0, a.model().buffers().get("visual.layer1.0.bn2.running_var").data()),
                "training steps must update BatchNorm running statistics");
        ClipTrainer b = resNetTrainer(0.25f);
        b.restore(a.snapshot());
        for (int i = 2; i < 4; i++) assertEquals(resNetStep(a, i), resNetStep(b, i));
        for (Tensor t : a.model().parameters().tensors()) assertArrayEquals(t.data(), b.model().parameters().get(t.name()).data(), 0f, t.name());
        for (Tensor t : a.model().buffers().tensors()) {
            if (t.isFloat()) assertArrayEquals(t.data(), b.model().buffers().get(t.name()).data(), 0f, t.name());
        }
    }

    @Test
    void stepReportsScheduleAndClampsLogitScale() {
        ClipTrainer t = new ClipTrainer(ToyClip.small(2), OPT);
        ClipTrainer.StepStats s = step(t, 0);
        assertEquals(1, s.step());
        assertEquals(OPT.schedule().lr(0), s.lr(), 0);
        assertTrue(s.gradNorm() > 0 && Double.isFinite(s.loss()));
        t.model().parameters().get(TrainableClip.LOGIT_SCALE).data()[0] = 10f;
        assertTrue(step(t, 1).logitScale() <= GradClip.MAX_LOGIT_SCALE);
    }

    @Test
    void restoreRejectsAnotherArchitecture() {
        ClipTrainer a = new ClipTrainer(ToyClip.small(1), OPT);
        step(a, 0);
        ClipTrainer other = new ClipTrainer(new ToyClip(1, 4, 12, 8, 40, 8, 6), OPT);   // hidden 12 instead of 16
        assertThrows(ClipFormatException.class, () -> other.restore(a.snapshot()));
    }
}
