package io.flinkclip.cli;

import io.flinkclip.training.job.ClipTrainingJob;
import io.flinkclip.training.job.TrainingCli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code clip train --model FILE|init:ARCH [--vocab BPE] --out DIR <dataset> [training options]}: contrastive
 * training as the Flink job {@link ClipTrainingJob} (options: {@link TrainingCli}). By default the job runs on an
 * embedded MiniCluster with checkpoints under {@code DIR/checkpoints}; {@code --jobmanager HOST:PORT} submits it to a
 * running cluster with this jar, and {@code --print-flink-run} only prints the equivalent {@code flink run} line.
 * Model files ({@code model-step-N.fclip} with {@code --save-every N}, {@code model-final.fclip}) are native files
 * with vocabulary and optimizer state.
 */
final class TrainCommand implements ClipCli.Command {
    @Override
    public String summary() { return "contrastive training (Flink job; embedded MiniCluster or --jobmanager HOST:PORT)"; }

    @Override
    public int run(String[] argv) throws Exception {
        String jobmanager = null;
        boolean printOnly = false;
        List<String> job = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            switch (argv[i]) {
                case "--jobmanager" -> {
                    if (i + 1 >= argv.length) throw new Args.UsageException("--jobmanager needs HOST:PORT");
                    jobmanager = argv[++i];
                }
                case "--print-flink-run" -> printOnly = true;
                default -> job.add(argv[i]);
            }
        }
        String[] jobArgs = job.toArray(String[]::new);
        if (printOnly) {
            System.out.println(flinkRunLine(jobmanager, jobArgs));
            return 0;
        }
        try {
            Class.forName("org.apache.flink.streaming.api.environment.StreamExecutionEnvironment");
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("Flink is not on the classpath: run training through bin/clip train, or submit with "
                    + flinkRunLine(jobmanager, jobArgs));
        }
        return TrainJobRunner.run(jobArgs, jobmanager);
    }

    /** The CLI jar this class was loaded from, or null (e.g. running from target/classes). */
    static Path ownJar() {
        try {
            Path p = Path.of(TrainCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return p.toString().endsWith(".jar") && Files.isRegularFile(p) ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    static String flinkRunLine(String jobmanager, String[] jobArgs) {
        Path jar = ownJar();
        StringBuilder sb = new StringBuilder("flink run");
        if (jobmanager != null) sb.append(" -m ").append(jobmanager);
        sb.append(" -c ").append(ClipTrainingJob.class.getName()).append(' ').append(jar != null ? jar : "cli/target/flink-clip-cli.jar");
        for (String a : jobArgs) sb.append(' ').append(a.matches("[A-Za-z0-9_./:=,@+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        return sb.toString();
    }
}
