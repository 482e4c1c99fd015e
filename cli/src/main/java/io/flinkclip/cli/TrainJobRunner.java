package io.flinkclip.cli;

import io.flinkclip.training.job.ClipTrainingJob;
import io.flinkclip.training.job.TrainingCli;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Files;
import java.nio.file.Path;

/** The Flink side of {@link TrainCommand}, in its own class so the CLI loads without Flink on the classpath. */
final class TrainJobRunner {
    private TrainJobRunner() {}

    static int run(String[] jobArgs, String jobmanager) throws Exception {
        TrainingCli.Plan plan = TrainingCli.parse(jobArgs);
        StreamExecutionEnvironment env;
        if (jobmanager != null) {
            String[] hp = jobmanager.split(":");
            if (hp.length != 2) throw new Args.UsageException("--jobmanager must be HOST:PORT, got '" + jobmanager + "'");
            Path jar = TrainCommand.ownJar();
            if (jar == null) {
                System.out.println("not running from the CLI jar; submit with:\n" + TrainCommand.flinkRunLine(jobmanager, jobArgs));
                return 0;
            }
            env = StreamExecutionEnvironment.createRemoteEnvironment(hp[0], Integer.parseInt(hp[1]), jar.toString());
        } else {
            Configuration conf = new Configuration();
            Path checkpoints = Path.of(plan.config().outputDir()).toAbsolutePath().resolve("checkpoints");
            Files.createDirectories(checkpoints);
            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
            env = StreamExecutionEnvironment.createLocalEnvironment(Math.max(1, plan.config().decodeParallelism()), conf);
        }
        env.enableCheckpointing(plan.checkpointMillis());
        ClipTrainingJob.build(env, plan.data(), plan.factory(), plan.config(), true);
        long t0 = System.nanoTime();
        env.execute("flink-clip contrastive training");
        System.err.printf("training finished in %.1f s; outputs in %s%n", (System.nanoTime() - t0) / 1e9, plan.config().outputDir());
        return 0;
    }

}
