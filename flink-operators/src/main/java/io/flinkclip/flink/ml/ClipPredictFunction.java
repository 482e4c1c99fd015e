package io.flinkclip.flink.ml;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

import java.util.Collection;
import java.util.List;

/** Synchronous ML_PREDICT over a CLIP model. Public with a public constructor: the planner's generated code instantiates it. */
public class ClipPredictFunction extends PredictFunction {
    private final ClipPredictSpec spec;
    private transient ClipPredictor predictor;

    public ClipPredictFunction(ClipPredictSpec spec) { this.spec = spec; }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        predictor = new ClipPredictor(spec, context.getMetricGroup());
    }

    @Override
    public Collection<RowData> predict(RowData input) {
        return List.of(predictor.predict(predictor.input(input)));
    }

    @Override
    public void close() throws Exception {
        if (predictor != null) predictor.close();
        predictor = null;
        super.close();
    }
}
