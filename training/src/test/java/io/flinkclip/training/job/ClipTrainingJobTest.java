package io.flinkclip.training.job;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.WeightDecayRule;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTrainingJobTest {
    static final int PAIRS = 96, BATCH = 8, EPOCHS = 3;
    /** 95 usable pairs per epoch (one is broken), 285 in all → 35 full batches; the last 5 pairs are dropped. */
    static final long STEPS = (EPOCHS * (PAIRS - 1)) / BATCH;
    static final AtomicBoolean FAILED = new AtomicBoolean();
    static final AtomicLong FIRST_STEP_AFTER_FAILURE = new AtomicLong(-1);

    /** Slows steps until a checkpoint has completed, then (once per JVM) fails after step 15. */
    record FailOnce(boolean fail) implements StepListener {
        @Override
        public void afterStep(long step, long checkpointedStep) throws Exception {
            if (FAILED.get()) FIRST_STEP_AFTER_FAILURE.compareAndSet(-1, step);
            if (checkpointedStep < 1) Thread.sleep(25);
            if (fail && step >= 15 && checkpointedStep >= 1 && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after step " + step + " (checkpoint at step " + checkpointedStep + ")");
            }
        }
    }

    private static void run(Path out, boolean fail) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(50));
        conf.set(TaskManagerOptions.MEMORY_SEGMENT_SIZE, MemorySize.parse("4kb"));   // little in-flight data: barriers arrive early
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
        env.enableCheckpointing(40);
        ClipTrainer.Options opt = new ClipTrainer.Options(3, 1.0, new CosineSchedule(5e-3, 5, STEPS),
                AdamW.Hyper.openClipVit(), WeightDecayRule.openClip());
        TrainingConfig cfg = new TrainingConfig(BATCH, EPOCHS, 42, true, 40, 2, 4, 6, 0.5, 1.0, opt,
                out.toString(), 10, new FailOnce(fail));
        ClipTrainingJob.build(env, new SyntheticPairs(PAIRS), new ToyFactory(7), cfg, false);
        env.execute("toy clip training");
    }

    @Test
    void resumedRunEndsBitIdenticalToUninterruptedRun(@TempDir Path dir) throws Exception {
        FAILED.set(false);
        FIRST_STEP_AFTER_FAILURE.set(-1);
        Path a = dir.resolve("a"), b = dir.resolve("b");
        long t0 = System.nanoTime();
        run(a, false);
        System.err.printf("uninterrupted run: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertTrue(!FAILED.get());
        t0 = System.nanoTime();
        run(b, true);
        System.err.printf("run with failure: %.1f s, resumed at step %d%n", (System.nanoTime() - t0) / 1e9, FIRST_STEP_AFTER_FAILURE.get());
        assertTrue(FAILED.get(), "the failure was never injected (no checkpoint completed before the end?)");
        long resumed = FIRST_STEP_AFTER_FAILURE.get();
        assertTrue(resumed > 1 && resumed <= 16, "the restarted job should resume from its checkpoint, not step 1; first step was " + resumed);

        byte[] fa = Files.readAllBytes(a.resolve("model-final.safetensors")), fb = Files.readAllBytes(b.resolve("model-final.safetensors"));
        assertArrayEquals(fa, fb, "final weights differ between the uninterrupted and the resumed run");
        assertEquals(Long.toString(STEPS), SafeTensors.read(a.resolve("model-final.safetensors")).metadata().get("flinkclip.step"));
        assertEquals(Files.readString(a.resolve("metrics.csv")), Files.readString(b.resolve("metrics.csv")));
        assertTrue(Files.exists(a.resolve("model-step-30.safetensors")) && Files.exists(a.resolve("loss.png")));
        // Training moved the weights and lowered the loss on this learnable toy task.
        String[] rows = Files.readString(a.resolve("metrics.csv")).strip().split("\n");
        assertEquals(STEPS + 1, rows.length);
        double first = Double.parseDouble(rows[1].split(",")[1]), lastLoss = Double.parseDouble(rows[rows.length - 1].split(",")[1]);
        assertTrue(lastLoss < first, "loss did not decrease: " + first + " → " + lastLoss);
    }
}
