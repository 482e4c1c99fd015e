package io.flinkclip.flink.ml;

import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/** Offers both a synchronous and an asynchronous predict function; ML_PREDICT's 'async' option picks one. */
public class ClipPredictProvider implements PredictRuntimeProvider, AsyncPredictRuntimeProvider {
    private final ClipPredictSpec spec;

    public ClipPredictProvider(ClipPredictSpec spec) { this.spec = spec; }

    public ClipPredictSpec spec() { return spec; }

    @Override
    public PredictFunction createPredictFunction(ModelProvider.Context context) { return new ClipPredictFunction(spec); }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) { return new ClipAsyncPredictFunction(spec); }

    @Override
    public ModelProvider copy() { return new ClipPredictProvider(spec); }
}
