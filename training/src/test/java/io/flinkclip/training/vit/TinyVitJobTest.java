package io.flinkclip.training.vit;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.model.TextTokenizer;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.TrainableClip;
import io.flinkclip.training.data.CaptionedImageFiles;
import io.flinkclip.training.job.ClipTrainingJob;
import io.flinkclip.training.job.StepListener;
import io.flinkclip.training.job.TrainingConfig;
import io.flinkclip.training.job.TrainingModelFactory;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.WeightDecayRule;
import org.apache.flink.configuration.CheckpointingOptions;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training job on a real CLIP architecture (the tiny ViT reference weights, multi-threaded kernels) over the
 * shared photos (PNG and JPEG): a run with an injected failure and restore ends bit-identical to a clean run.
 */
class TinyVitJobTest {
    private static final Path SHARED = Path.of(System.getProperty("clip.shared.dir", "../shared"));
    static final AtomicBoolean FAILED = new AtomicBoolean();

    /** tiny-vit weights from the shared reference; a word-hashing tokenizer with OpenAI's SOT/EOT ids. */
    record TinyVitFactory(String weights) implements TrainingModelFactory {
        @Override
        public TrainableClip createModel() { return new KernelClip(SafeTensors.read(Path.of(weights)), 1, 2); }

        @Override
        public TextTokenizer createTokenizer() {
            return (text, ctx) -> {
                int[] t = new int[ctx];
                t[0] = 49406;
                int n = 1;
                for (String w : text.toLowerCase().split("\\s+")) if (!w.isEmpty() && n < ctx - 1) t[n++] = 1000 + Math.floorMod(w.hashCode(), 40000);
                t[n] = 49407;
                return t;
            };
        }
    }

    record FailOnce(boolean fail) implements StepListener {
        @Override
        public void afterStep(long step, long checkpointed) throws Exception {
            if (checkpointed < 1) Thread.sleep(30);
            if (fail && step >= 3 && checkpointed >= 1 && FAILED.compareAndSet(false, true)) throw new IllegalStateException("injected at " + step);
        }
    }

    private static void run(Path data, Path out, boolean fail) throws Exception {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, out.resolve("checkpoints").toUri().toString());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(50));
        conf.set(TaskManagerOptions.MEMORY_SEGMENT_SIZE, MemorySize.parse("4kb"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
        env.enableCheckpointing(40);
        long steps = 6 * 9 / 4;
        ClipTrainer.Options opt = new ClipTrainer.Options(2, 1.0, new CosineSchedule(1e-3, 2, steps), AdamW.Hyper.openClipVit(),
                WeightDecayRule.openClip());
        TrainingConfig cfg = TrainingConfig.builder(opt, out.toString(), 32, 77).batchSize(4).epochs(6).seed(3).decodeParallelism(2)
                .listener(new FailOnce(fail)).build();
        String weights = SHARED.resolve("reference/tiny-vit/weights.safetensors").toString();
        ClipTrainingJob.build(env, CaptionedImageFiles.load(SHARED.resolve("images"), data), new TinyVitFactory(weights), cfg, false);
        env.execute("tiny-vit training");
    }

    @Test
    void resumesBitIdenticallyOnARealArchitecture(@TempDir Path dir) throws Exception {
        StringBuilder tsv = new StringBuilder();
        try (var files = Files.list(SHARED.resolve("images"))) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                tsv.append(name).append("\ta photo of a ").append(name.replaceAll("\\..*", "").replace('_', ' ')).append('\n');
            }
        }
        Path data = dir.resolve("captions.tsv");
        Files.writeString(data, tsv);
        FAILED.set(false);
        run(data, dir.resolve("a"), false);
        assertFalse(FAILED.get());
        run(data, dir.resolve("b"), true);
        assertTrue(FAILED.get(), "the failure was never injected");
        byte[] a = Files.readAllBytes(dir.resolve("a/model-final.safetensors")), b = Files.readAllBytes(dir.resolve("b/model-final.safetensors"));
        assertArrayEquals(a, b);
        assertEquals("13", SafeTensors.read(dir.resolve("a/model-final.safetensors")).metadata().get("flinkclip.step"));
        // training changed the weights
        float[] before = SafeTensors.read(SHARED.resolve("reference/tiny-vit/weights.safetensors")).get("visual.proj").data();
        float[] after = SafeTensors.read(dir.resolve("a/model-final.safetensors")).get("visual.proj").data();
        assertFalse(java.util.Arrays.equals(before, after));
    }
}
