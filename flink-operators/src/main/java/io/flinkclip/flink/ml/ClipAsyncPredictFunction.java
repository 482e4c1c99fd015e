package io.flinkclip.flink.ml;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Asynchronous ML_PREDICT: inference runs on a small per-subtask pool ({@code 'async.threads'}) so the task
 * thread keeps reading input while images are encoded.
 */
public class ClipAsyncPredictFunction extends AsyncPredictFunction {
    private final ClipPredictSpec spec;
    private transient ClipPredictor predictor;
    private transient ExecutorService pool;

    public ClipAsyncPredictFunction(ClipPredictSpec spec) { this.spec = spec; }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        predictor = new ClipPredictor(spec, context.getMetricGroup());
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(spec.asyncThreads(), r -> {
            Thread t = new Thread(r, "clip-predict-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData input) {
        Object value = predictor.input(input); // copy out now: the row may be reused after we return
        return CompletableFuture.supplyAsync(() -> List.of(predictor.predict(value)), pool);
    }

    @Override
    public void close() throws Exception {
        if (pool != null) pool.shutdownNow();
        if (predictor != null) predictor.close();
        pool = null;
        predictor = null;
        super.close();
    }
}
