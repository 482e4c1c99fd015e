package io.flinkclip.training.job;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.HeldOutEvaluator;
import io.flinkclip.training.data.TrainPair;
import io.flinkclip.training.report.TrainingReport;
import org.apache.flink.runtime.state.OperatorStateCheckpointOutputStream;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trainer (parallelism 1): owns model and optimizer, assembles batches in index order and runs one
 * {@link ClipTrainer} step per batch. Checkpointed state: the trainer snapshot (parameters, buffers, Adam moments,
 * step) and the batch assembler (frontier, partial batch, early arrivals), plus the metric history, all written as
 * one raw operator-state stream into checkpoint storage (see {@link #snapshotState}).
 */
public final class TrainerOperator extends AbstractStreamOperator<StepReport>
        implements OneInputStreamOperator<TrainPair, StepReport>, BoundedOneInput {
    private static final int STATE_MAGIC = 0x434C5054;   // "CLPT"
    private final TrainingModelFactory factory;
    private final TrainingConfig cfg;

    private transient ClipTrainer trainer;
    private transient BatchAssembler assembler;
    private transient List<double[]> history;   // step, loss, lr, logit scale, grad norm
    private transient List<double[]> accuracy;  // step, held-out accuracy
    private transient HeldOutEvaluator evaluator;
    private transient Map<Long, Long> stepAtCheckpoint;
    private transient long checkpointedStep;
    private transient volatile StepReport last;
    private transient long lastStepNanos;

    public TrainerOperator(TrainingModelFactory factory, TrainingConfig cfg) {
        this.factory = factory;
        this.cfg = cfg;
    }

    @Override
    public void initializeState(StateInitializationContext ctx) throws Exception {
        super.initializeState(ctx);
        trainer = new ClipTrainer(factory.createModel(), cfg.trainer());
        assembler = new BatchAssembler(cfg.batchSize());
        history = new ArrayList<>();
        accuracy = new ArrayList<>();
        stepAtCheckpoint = new TreeMap<>();
        checkpointedStep = -1;
        if (ctx.isRestored()) {
            int partitions = 0;
            for (var provider : ctx.getRawOperatorStateInputs()) {
                try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(provider.getStream(), 1 << 16))) {
                    readState(in);
                }
                partitions++;
            }
            if (partitions > 1) throw new IllegalStateException("trainer state has " + partitions + " partitions; the trainer must run with parallelism 1");
            if (partitions == 1) LOG.info("restored trainer at step {} (next pair index {})", trainer.step(), assembler.frontier());
        }
    }

    private void readState(DataInputStream in) throws IOException {
        if (in.readInt() != STATE_MAGIC) throw new IOException("not a flink-clip trainer state (bad magic)");
        long len = in.readLong();
        if (len < 8) throw new IOException("trainer state: bad snapshot length " + len);
        // Off-heap, so states larger than a Java array (2 GiB) restore too; tensors are copied out before closing.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(len);
            byte[] chunk = new byte[1 << 20];
            for (long at = 0; at < len; ) {
                int n = (int) Math.min(chunk.length, len - at);
                in.readFully(chunk, 0, n);
                MemorySegment.copy(MemorySegment.ofArray(chunk), 0, seg, at, n);
                at += n;
            }
            trainer.restore(SafeTensors.read(seg, len, "trainer state"));
        }
        assembler.read(in);
        for (int i = 0, n = in.readInt(); i < n; i++) {
            double[] h = new double[5];
            for (int k = 0; k < 5; k++) h[k] = in.readDouble();
            history.add(h);
        }
        for (int i = 0, n = in.readInt(); i < n; i++) accuracy.add(new double[]{in.readDouble(), in.readDouble()});
    }

    @Override
    public void open() throws Exception {
        super.open();
        var g = getMetricGroup();
        g.gauge("step", () -> trainer.step());
        g.gauge("loss", () -> last == null ? Double.NaN : last.loss);
        g.gauge("lr", () -> last == null ? Double.NaN : last.lr);
        g.gauge("logitScale", () -> last == null ? Double.NaN : last.logitScale);
        g.gauge("pairsPerSecond", () -> last == null ? 0.0 : last.pairsPerSecond);
        g.gauge("waitingPairs", () -> assembler.waiting());
        if (cfg.heldOut() != null) evaluator = heldOutEvaluator();
        lastStepNanos = System.nanoTime();
    }

    /** Centre-cropped, tokenised held-out pairs (undecodable ones left out). */
    private HeldOutEvaluator heldOutEvaluator() {
        var tok = factory.createTokenizer();
        long n = Math.min(cfg.heldOut().size(), cfg.heldOutLimit());
        List<TrainPair> ok = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            TrainPair p = PairPreprocessor.process(cfg.heldOut().read(i), tok, cfg, null, false);
            if (!p.isSkipped()) ok.add(p);
        }
        if (ok.isEmpty()) throw new IllegalArgumentException("no decodable pairs in the held-out set");
        int per = ok.get(0).pixels.length;
        float[] px = new float[ok.size() * per];
        int[][] tokens = new int[ok.size()][];
        for (int i = 0; i < ok.size(); i++) {
            System.arraycopy(ok.get(i).pixels, 0, px, i * per, per);
            tokens[i] = ok.get(i).tokens;
        }
        return new HeldOutEvaluator(px, tokens, cfg.trainer().chunkSize());
    }

    private void evaluate() {
        if (evaluator == null) return;
        if (!accuracy.isEmpty() && accuracy.get(accuracy.size() - 1)[0] == trainer.step()) return;
        double acc = evaluator.accuracy(trainer.model());
        accuracy.add(new double[]{trainer.step(), acc});
        LOG.info("held-out accuracy at step {}: {}", trainer.step(), acc);
    }

    @Override
    public void processElement(StreamRecord<TrainPair> element) throws Exception {
        for (List<TrainPair> batch : assembler.add(element.getValue())) trainOn(batch);
    }

    private void trainOn(List<TrainPair> batch) throws Exception {
        long total = cfg.trainer().schedule().totalSteps();
        if (trainer.step() >= total) return;   // schedule exhausted (unbounded source): further pairs are ignored
        int per = batch.get(0).pixels.length;
        float[] pixels = new float[batch.size() * per];
        int[][] tokens = new int[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(batch.get(i).pixels, 0, pixels, i * per, per);
            tokens[i] = batch.get(i).tokens;
        }
        ClipTrainer.StepStats s = trainer.train(pixels, tokens);
        long now = System.nanoTime();
        StepReport r = new StepReport();
        r.step = s.step();
        r.totalSteps = total;
        r.loss = s.loss();
        r.lr = s.lr();
        r.logitScale = s.logitScale();
        r.gradNorm = s.gradNorm();
        r.pairsPerSecond = batch.size() / Math.max(1e-9, (now - lastStepNanos) / 1e9);
        lastStepNanos = now;
        last = r;
        history.add(new double[]{s.step(), s.loss(), s.lr(), s.logitScale(), s.gradNorm()});
        output.collect(new StreamRecord<>(r));
        if (cfg.saveEverySteps() > 0 && s.step() % cfg.saveEverySteps() == 0) saveModel("model-step-" + s.step() + factory.modelFileSuffix());
        if (cfg.evalEverySteps() > 0 && s.step() % cfg.evalEverySteps() == 0) evaluate();
        if (cfg.listener() != null) cfg.listener().afterStep(s.step(), checkpointedStep);
    }

    /**
     * The model and optimizer go to <b>raw operator state</b>: a stream written straight into the checkpoint storage
     * (a file per checkpoint with filesystem storage, above the small-state threshold), whose lifetime Flink manages
     * like any checkpoint data (subsumed checkpoints are deleted, savepoints are self-contained).
     */
    @Override
    public void snapshotState(StateSnapshotContext ctx) throws Exception {
        super.snapshotState(ctx);
        OperatorStateCheckpointOutputStream raw = ctx.getRawOperatorStateOutput();
        raw.startNewPartition();
        DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw, 1 << 16));   // not closed: Flink owns the stream
        out.writeInt(STATE_MAGIC);
        out.writeLong(trainer.snapshotSize());
        trainer.writeSnapshot(out);   // streamed tensor by tensor: no whole-state byte[]
        assembler.write(out);
        out.writeInt(history.size());
        for (double[] h : history) for (double v : h) out.writeDouble(v);
        out.writeInt(accuracy.size());
        for (double[] a : accuracy) { out.writeDouble(a[0]); out.writeDouble(a[1]); }
        out.flush();
        stepAtCheckpoint.put(ctx.getCheckpointId(), trainer.step());
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        Long s = stepAtCheckpoint.remove(checkpointId);
        if (s != null) checkpointedStep = Math.max(checkpointedStep, s);
        stepAtCheckpoint.keySet().removeIf(id -> id < checkpointId);
    }

    /** Frees a device model's GPU memory (a CPU model holds none). */
    @Override
    public void close() throws Exception {
        try {
            if (trainer != null && trainer.model() instanceof AutoCloseable c) c.close();
        } finally {
            super.close();
        }
    }

    @Override
    public void endInput() throws Exception {
        evaluate();
        saveModel("model-final" + factory.modelFileSuffix());
        Path dir = Path.of(cfg.outputDir());
        TrainingReport.writeCsv(history, dir.resolve("metrics.csv"));
        TrainingReport.writeLossPlot(history, dir.resolve("loss.png"));
        if (!accuracy.isEmpty()) {
            TrainingReport.writeAccuracyCsv(accuracy, dir.resolve("heldout.csv"));
            TrainingReport.writeAccuracyPlot(accuracy, "image→text top-1", dir.resolve("heldout-accuracy.png"));
        }
        LOG.info("training finished at step {}", trainer.step());
    }

    /** Writes atomically (temp file + rename), so a crash never leaves a truncated model file. */
    private void saveModel(String name) throws IOException {
        Path dir = Path.of(cfg.outputDir());
        Files.createDirectories(dir);
        Path tmp = dir.resolve(name + ".tmp");
        factory.writeModel(trainer, assembler.frontier(), tmp);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
