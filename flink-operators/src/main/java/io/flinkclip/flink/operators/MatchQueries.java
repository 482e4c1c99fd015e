package io.flinkclip.flink.operators;

import io.flinkclip.flink.ClipScoring;
import io.flinkclip.flink.ImageRecord;
import io.flinkclip.flink.QueryMatch;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.flink.control.proto.StandingQuery;
import io.flinkclip.model.Clip;

import java.util.List;

/** Emits an alert for every (image, standing query) pair whose cosine similarity reaches the query's threshold. */
public final class MatchQueries implements BatchInference<ImageRecord, QueryMatch> {
    private transient float[][] queries;

    @Override
    public String keyOf(ImageRecord r) { return r.key(); }

    @Override
    public void run(Clip clip, ControlState control, List<ImageRecord> batch, Results<QueryMatch> out) {
        List<StandingQuery> qs = control.queries();
        float[][] emb = Inputs.embedImages(clip, batch, out);
        if (qs.isEmpty()) return;
        if (queries == null) queries = clip.embedTexts(qs.stream().map(StandingQuery::getText).toList());
        for (int i = 0; i < emb.length; i++) {
            if (emb[i] == null) continue;
            for (int q = 0; q < qs.size(); q++) {
                float sim = ClipScoring.dot(emb[i], Clip.normalize(queries[q]));
                if (sim >= qs.get(q).getThreshold()) {
                    out.emit(i, new QueryMatch(batch.get(i).key(), qs.get(q).getId(), qs.get(q).getText(), sim, control.version()));
                }
            }
        }
    }

    @Override
    public void reset() { queries = null; }
}
