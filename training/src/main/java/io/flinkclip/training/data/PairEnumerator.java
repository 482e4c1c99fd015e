package io.flinkclip.training.data;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** Hands out splits in order on request; splits returned by a failed reader are handed out again first. */
public final class PairEnumerator implements SplitEnumerator<PairSplit, PairEnumerator.State> {
    /** Checkpoint: the next never-assigned split number and splits given back for reassignment. */
    public record State(long nextSplit, List<PairSplit> returned) {}

    private final PairSource source;
    private final SplitEnumeratorContext<PairSplit> ctx;
    private final Deque<PairSplit> returned;
    private long next;

    PairEnumerator(PairSource source, SplitEnumeratorContext<PairSplit> ctx, State state) {
        this.source = source;
        this.ctx = ctx;
        this.next = state.nextSplit();
        this.returned = new ArrayDeque<>(state.returned());
    }

    @Override public void start() {}

    @Override
    public void handleSplitRequest(int subtask, String host) {
        if (!returned.isEmpty()) {
            ctx.assignSplit(returned.poll(), subtask);
        } else if (next < source.totalSplits()) {
            ctx.assignSplit(source.split(next++), subtask);
        } else {
            ctx.signalNoMoreSplits(subtask);
        }
    }

    @Override
    public void addSplitsBack(List<PairSplit> splits, int subtask) {
        // Earlier splits first, so a re-read stays in order.
        List<PairSplit> all = new ArrayList<>(splits);
        all.addAll(returned);
        all.sort((a, b) -> a.epoch != b.epoch ? Long.compare(a.epoch, b.epoch) : Integer.compare(a.start, b.start));
        returned.clear();
        returned.addAll(all);
    }

    @Override public void addReader(int subtask) {}

    @Override
    public State snapshotState(long checkpointId) { return new State(next, List.copyOf(returned)); }

    @Override public void close() {}
}
