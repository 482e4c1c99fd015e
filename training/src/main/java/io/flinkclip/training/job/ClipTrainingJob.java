package io.flinkclip.training.job;

import io.flinkclip.training.data.PairDataset;
import io.flinkclip.training.data.PairSource;
import io.flinkclip.training.data.RawPair;
import io.flinkclip.training.data.TrainPair;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The contrastive training pipeline:
 * <pre>
 *   PairSource (FLIP-27, parallelism 1, checkpointed positions)
 *     → PairPreprocessor (decode, RandomResizedCrop, tokenise; parallel)
 *     → TrainerOperator (parallelism 1: index-ordered batches, GradCache + AdamW, model/optimizer state)
 *     → ProgressSink (progress lines)
 * </pre>
 * The source runs at parallelism 1 so pairs reach the trainer nearly in order and its reorder buffer stays small;
 * correctness does not depend on it (batches are formed by index).
 */
public final class ClipTrainingJob {
    private ClipTrainingJob() {}

    /** Command-line entry point; see {@link TrainingCli}. */
    public static void main(String[] args) throws Exception {
        TrainingCli.main(args);
    }

    /** Adds the pipeline to {@code env} and returns the per-step reports (already wired to a {@link ProgressSink}). */
    public static DataStream<StepReport> build(StreamExecutionEnvironment env, PairDataset data, TrainingModelFactory factory,
                                               TrainingConfig cfg, boolean printProgress) {
        PairSource source = new PairSource(data, cfg.seed(), cfg.shuffle(), cfg.epochs(), cfg.splitSize());
        DataStream<RawPair> raw = env.fromSource(source, WatermarkStrategy.noWatermarks(), "image-text pairs")
                .setParallelism(1).uid("pairs-source");
        DataStream<TrainPair> ready = raw.rebalance().map(new PairPreprocessor(factory, cfg))
                .returns(TypeInformation.of(TrainPair.class)).setParallelism(cfg.decodeParallelism())
                .name("decode-augment-tokenise").uid("preprocess");
        DataStream<StepReport> reports = ready.transform("clip-trainer", TypeInformation.of(StepReport.class), new TrainerOperator(factory, cfg))
                .setParallelism(1).setMaxParallelism(1).uid("trainer");
        if (printProgress) reports.sinkTo(new ProgressSink()).setParallelism(1).name("progress").uid("progress");
        return reports;
    }
}
