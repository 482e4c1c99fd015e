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
