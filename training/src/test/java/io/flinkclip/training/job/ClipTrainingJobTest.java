package io.flinkclip.training.job;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.model.TextTokenizer;
import io.flinkclip.training.ClipModelTrainable;
import io.flinkclip.training.DeviceTrainableClip;
import io.flinkclip.training.TrainableClip;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.WeightDecayRule;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.flinkclip.training.data.EpochOrder;
import io.flinkclip.training.data.PairDataset;
import io.flinkclip.training.data.RawPair;
import io.flinkclip.training.data.TrainPair;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTrainingJobTest {
    static final int PAIRS = 96, BATCH = 8, EPOCHS = 3;
    /** 95 usable pairs per epoch (one is broken), 285 in all → 35 full batches; the last 5 pairs are dropped. */
    static final long STEPS = (EPOCHS * (PAIRS - 1)) / BATCH;
    static final AtomicBoolean FAILED = new AtomicBoolean();
    static final AtomicLong FIRST_STEP_AFTER_FAILURE = new AtomicLong(-1), FAILED_AT = new AtomicLong(-1);

    /** Slows steps until a checkpoint has completed, then (once per JVM) fails after step 15. */
    record FailOnce(boolean fail) implements StepListener {
        @Override
        public void afterStep(long step, long checkpointedStep) throws Exception {
            if (FAILED.get()) FIRST_STEP_AFTER_FAILURE.compareAndSet(-1, step);
            if (checkpointedStep < 1) Thread.sleep(25);
            if (fail && step >= 15 && checkpointedStep >= 1 && FAILED.compareAndSet(false, true)) {
                FAILED_AT.set(step);
                throw new IllegalStateException("injected failure after step " + step + " (checkpoint at step " + checkpointedStep + ")");
            }
        }
    }

    static final AtomicLong LAST_STEP = new AtomicLong(), FIRST_STEP = new AtomicLong(-1);

    /** Records progress; sleeps per step so a savepoint can be taken mid-training. */
    record Observe(long sleepMs) implements StepListener {
        @Override
        public void afterStep(long step, long checkpointedStep) throws Exception {
            FIRST_STEP.compareAndSet(-1, step);
            LAST_STEP.set(step);
            if (sleepMs > 0) Thread.sleep(sleepMs);
        }
    }

    /** Delays every read, throttling the source. */
    record SlowPairs(PairDataset data, long millis) implements PairDataset {
        @Override public long size() { return data.size(); }

        @Override
        public RawPair read(long i) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return data.read(i);
        }
    }

    static TrainingConfig config(Path out, boolean fail) {
        return config(out, new FailOnce(fail));
    }

    static TrainingConfig config(Path out, StepListener listener) {
        return config(out, listener, EPOCHS);
    }

    static TrainingConfig config(Path out, StepListener listener, long epochs) {
        ClipTrainer.Options opt = new ClipTrainer.Options(3, 1.0, new CosineSchedule(5e-3, 5, STEPS),
                AdamW.Hyper.openClipVit(), WeightDecayRule.openClip());
        return TrainingConfig.builder(opt, out.toString(), 4, 6).batchSize(BATCH).epochs(epochs).seed(42).splitSize(40)
                .decodeParallelism(2).cropScale(0.5, 1.0).saveEverySteps(10).heldOut(new SyntheticPairs(24), 24, 10)
                .listener(listener).build();
    }

    private static JobExecutionResult run(Path out, boolean fail, InMemoryReporter reporter) throws Exception {
        return run(out, fail, reporter, new ToyFactory(7), new SyntheticPairs(PAIRS));
    }

    private static JobExecutionResult run(Path out, boolean fail, InMemoryReporter reporter, TrainingModelFactory factory, PairDataset data)
            throws Exception {
        Configuration conf = conf(out);
        if (reporter != null) reporter.addToConfiguration(conf);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
        env.enableCheckpointing(40);
        ClipTrainingJob.build(env, data, factory, config(out, fail), false);
        return env.execute("toy clip training");
    }

    /**
     * The job's GPU path (what {@code -Dclip.train.device} builds, {@link DeviceTrainableClip#onDevice}): a tiny ViT CLIP
     * whose passes and AdamW run on {@code device}; "cpu" gives the host model. Images 4×4 (patch 2), 6-token texts.
     */
    record TinyVitFactory(String device) implements TrainingModelFactory {
        static final ClipConfig CFG = new ClipConfig(8, 4, new int[] {1}, 16, 2, 2, 6, 40, 16, 2, 1);

        @Override
        public TrainableClip createModel() {
            return DeviceTrainableClip.onDevice(new ClipModelTrainable(ClipInit.initialize(CFG, 7), CFG), device);
        }

        @Override
        public TextTokenizer createTokenizer() { return new ToyFactory().createTokenizer(); }
    }

    /**
     * A job training on a device (PoCL in CI) with the optimiser resident there: its checkpoints must carry the device's
     * parameters and moments, so a run that fails and restarts from a checkpoint ends bit-identical to one that did not;
     * and it trains what the CPU trains.
     */
    @Test
    void deviceRunWithResidentOptimizerResumesBitIdenticalAndFollowsTheCpu(@TempDir Path dir) throws Exception {
        String spec = System.getProperty("clip.test.device", "opencl:0:0");
        TrainableClip probe = new TinyVitFactory(spec).createModel();
        assertTrue(probe instanceof DeviceTrainableClip d && d.residentOptimizer() != null, spec + " must give a device model with a resident optimiser");
        ((DeviceTrainableClip) probe).close();
        FAILED.set(false);
        FIRST_STEP_AFTER_FAILURE.set(-1);
        Path a = dir.resolve("a"), b = dir.resolve("b"), cpu = dir.resolve("cpu");
        // a throttled source: while the trainer opens its device (PoCL builds the kernels for seconds) the pairs must not
        // fill every buffer ahead of the first checkpoint barrier, or no checkpoint completes before the failure point
        PairDataset data = new SlowPairs(new SyntheticPairs(PAIRS), 3);
        run(a, false, null, new TinyVitFactory(spec), data);
        run(b, true, null, new TinyVitFactory(spec), data);
        assertTrue(FAILED.get(), "the failure was never injected");
        long resumed = FIRST_STEP_AFTER_FAILURE.get();
        assertTrue(resumed > 1 && resumed <= FAILED_AT.get(), "resumed at step " + resumed + " after failing at " + FAILED_AT.get());
        assertArrayEquals(Files.readAllBytes(a.resolve("model-final.safetensors")), Files.readAllBytes(b.resolve("model-final.safetensors")),
                "final weights differ between the uninterrupted and the resumed device run");
        assertEquals(Files.readString(a.resolve("metrics.csv")), Files.readString(b.resolve("metrics.csv")));

        run(cpu, false, null, new TinyVitFactory("cpu"), data);
        String[] dev = Files.readString(a.resolve("metrics.csv")).strip().split("\n"), host = Files.readString(cpu.resolve("metrics.csv")).strip().split("\n");
        assertEquals(STEPS + 1, dev.length);
        assertEquals(host.length, dev.length);
        for (int i = 1; i < dev.length; i++) {
            double ld = Double.parseDouble(dev[i].split(",")[1]), lh = Double.parseDouble(host[i].split(",")[1]);
            assertEquals(lh, ld, (i <= 5 ? 1e-5 : 1e-3) * Math.abs(lh), "loss of step " + i + " on " + spec + " vs the CPU");
        }
        double first = Double.parseDouble(dev[1].split(",")[1]), last = Double.parseDouble(dev[dev.length - 1].split(",")[1]);
        assertTrue(last < first, "the device run's loss did not decrease: " + first + " → " + last);
    }

    private static Configuration conf(Path out) {
        Configuration conf = new Configuration();
        // Filesystem checkpoint storage: the trainer's model + optimizer stream lands in checkpoint files.
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, out.resolve("checkpoints").toUri().toString());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(50));
        conf.set(TaskManagerOptions.MEMORY_SEGMENT_SIZE, MemorySize.parse("4kb"));   // little in-flight data: barriers arrive early
        return conf;
    }

    @Test
    void stopWithSavepointAndResumeEndsBitIdentical(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        LAST_STEP.set(0);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf(out));
        env.enableCheckpointing(40);
        // Part 1 reads slowly (the source, not the trainer, is the bottleneck, so little data is in flight and the
        // aligned savepoint barrier reaches the trainer promptly); part 2 resumes from the savepoint at full speed.
        ClipTrainingJob.build(env, new SlowPairs(new SyntheticPairs(PAIRS), 4), new ToyFactory(7), config(out, new Observe(0)), false);
        JobClient job = env.executeAsync("toy clip training, part 1");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (LAST_STEP.get() < 3) {
            assertTrue(System.nanoTime() < deadline, "training did not reach step 3");
            Thread.sleep(10);
        }
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL).get();
        job.getJobExecutionResult().get();
        long stoppedAt = LAST_STEP.get();
        System.err.println("stopped with a savepoint after step " + stoppedAt);
        assertTrue(stoppedAt < STEPS, "stopped too late to test anything (step " + stoppedAt + ")");
        assertFalse(Files.exists(out.resolve("model-final.safetensors")), "a stopped job must not write the final model");

        FIRST_STEP.set(-1);
        Configuration resume = conf(out);
        resume.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment env2 = StreamExecutionEnvironment.createLocalEnvironment(2, resume);
        env2.enableCheckpointing(40);
        ClipTrainingJob.build(env2, new SyntheticPairs(PAIRS), new ToyFactory(7), config(out, new Observe(0)), false);
        env2.execute("toy clip training, part 2");
        assertEquals(stoppedAt + 1, FIRST_STEP.get(), "the resumed job continues right after the savepoint's step");
        assertArrayEquals(plainLoop(dir.resolve("plain")), Files.readAllBytes(out.resolve("model-final.safetensors")));
    }

    private static Object gauge(Map<String, Metric> metrics, String name) {
        Metric m = metrics.get(name);
        if (m == null) throw new AssertionError("no metric " + name + " in " + metrics.keySet());
        return ((Gauge<?>) m).getValue();
    }

    private static byte[] plainLoop(Path out) throws Exception {
        TrainingConfig cfg = config(out, false);
        ToyFactory f = new ToyFactory(7);
        ClipTrainer trainer = new ClipTrainer(f.createModel(), cfg.trainer());
        var tok = f.createTokenizer();
        SyntheticPairs data = new SyntheticPairs(PAIRS);
        EpochOrder order = new EpochOrder(PAIRS, cfg.seed(), true);
        List<TrainPair> batch = new ArrayList<>();
        for (int e = 0; e < EPOCHS; e++) {
            int[] perm = order.permutation(e);
            for (int i = 0; i < PAIRS; i++) {
                RawPair raw = data.read(perm[i]);
                raw.index = (long) e * PAIRS + i;
                TrainPair p = PairPreprocessor.process(raw, tok, cfg, null);
                if (p.isSkipped()) continue;
                batch.add(p);
                if (batch.size() == BATCH) {
                    float[] px = new float[BATCH * p.pixels.length];
                    int[][] t = new int[BATCH][];
                    for (int k = 0; k < BATCH; k++) {
                        System.arraycopy(batch.get(k).pixels, 0, px, k * p.pixels.length, p.pixels.length);
                        t[k] = batch.get(k).tokens;
                    }
                    trainer.train(px, t);
                    batch.clear();
                }
            }
        }
        assertEquals(STEPS, trainer.step());
        Files.createDirectories(out);
        SafeTensors.write(out.resolve("m.safetensors"), trainer.modelState());
        return Files.readAllBytes(out.resolve("m.safetensors"));
    }

    @Test
    void resumedRunEndsBitIdenticalToUninterruptedRun(@TempDir Path dir) throws Exception {
        FAILED.set(false);
        FIRST_STEP_AFTER_FAILURE.set(-1);
        Path a = dir.resolve("a"), b = dir.resolve("b");
        long t0 = System.nanoTime();
        InMemoryReporter reporter = InMemoryReporter.createWithRetainedMetrics();
        JobExecutionResult ra = run(a, false, reporter);
        System.err.printf("uninterrupted run: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertTrue(!FAILED.get());
        var trainerGroups = reporter.findOperatorMetricGroups(ra.getJobID(), "clip-trainer");
        assertEquals(1, trainerGroups.size());
        Map<String, Metric> metrics = reporter.getMetricsByGroup(trainerGroups.get(0));
        assertEquals(STEPS, ((Number) gauge(metrics, "step")).longValue());
        for (String m : new String[]{"loss", "lr", "logitScale", "pairsPerSecond"}) {
            double v = ((Number) gauge(metrics, m)).doubleValue();
            assertTrue(Double.isFinite(v), m + " = " + v);
        }
        long skipped = reporter.findOperatorMetricGroups(ra.getJobID(), "decode-augment-tokenise").stream()
                .map(reporter::getMetricsByGroup).mapToLong(g -> ((Counter) g.get("skippedImages")).getCount()).sum();
        assertEquals(EPOCHS, skipped, "the broken pair is skipped once per epoch");
        t0 = System.nanoTime();
        run(b, true, null);
        System.err.printf("run with failure: %.1f s, failed after step %d, resumed at step %d%n", (System.nanoTime() - t0) / 1e9,
                FAILED_AT.get(), FIRST_STEP_AFTER_FAILURE.get());
        assertTrue(FAILED.get(), "the failure was never injected (no checkpoint completed before the end?)");
        long resumed = FIRST_STEP_AFTER_FAILURE.get();
        assertTrue(resumed > 1 && resumed <= FAILED_AT.get(), "the restarted job should resume from a checkpoint taken before the "
                + "failure at step " + FAILED_AT.get() + ", not from step 1; first step was " + resumed);

        byte[] fa = Files.readAllBytes(a.resolve("model-final.safetensors")), fb = Files.readAllBytes(b.resolve("model-final.safetensors"));
        assertArrayEquals(fa, fb, "final weights differ between the uninterrupted and the resumed run");
        assertEquals(Long.toString(STEPS), SafeTensors.read(a.resolve("model-final.safetensors")).metadata().get("flinkclip.step"));
        assertEquals(Files.readString(a.resolve("metrics.csv")), Files.readString(b.resolve("metrics.csv")));
        assertTrue(Files.exists(a.resolve("model-step-30.safetensors")) && Files.exists(a.resolve("loss.png")));
        assertTrue(Files.exists(a.resolve("heldout-accuracy.png")));
        assertEquals(Files.readString(a.resolve("heldout.csv")), Files.readString(b.resolve("heldout.csv")));
        String[] acc = Files.readString(a.resolve("heldout.csv")).strip().split("\n");
        assertEquals(5, acc.length, "evaluations at steps 10, 20, 30 and the final 35");
        // The job trains exactly what a plain loop over the documented order (seeded epoch permutations, skipped
        // pairs passed over, batches of 8 consecutive usable pairs) trains.
        assertArrayEquals(fa, plainLoop(dir.resolve("plain")), "the Flink job deviates from the documented batch order");
        // Training moved the weights and lowered the loss on this learnable toy task.
        String[] rows = Files.readString(a.resolve("metrics.csv")).strip().split("\n");
        assertEquals(STEPS + 1, rows.length);
        double first = Double.parseDouble(rows[1].split(",")[1]), lastLoss = Double.parseDouble(rows[rows.length - 1].split(",")[1]);
        assertTrue(lastLoss < first, "loss did not decrease: " + first + " → " + lastLoss);
    }
}
