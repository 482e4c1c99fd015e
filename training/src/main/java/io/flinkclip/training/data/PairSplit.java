package io.flinkclip.training.data;

import org.apache.flink.api.connector.source.lib.util.IteratorSourceSplit;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A contiguous range [start, end) of one epoch's visiting order, with the reader's position inside it (the
 * checkpointed part). The dataset is not serialised with the split: {@link PairSource} re-attaches it.
 */
public final class PairSplit implements IteratorSourceSplit<RawPair, PairSplit.PairIterator> {
    final long epoch;
    final int start, end, position;
    transient PairSource source;

    PairSplit(long epoch, int start, int end, int position, PairSource source) {
        if (start < 0 || start > position || position > end) throw new IllegalArgumentException("bad split " + epoch + ":" + start + "-" + end + "@" + position);
        this.epoch = epoch;
        this.start = start;
        this.end = end;
        this.position = position;
        this.source = source;
    }

    @Override
    public String splitId() { return epoch + ":" + start; }

    @Override
    public PairIterator getIterator() {
        if (source == null) throw new IllegalStateException("split " + splitId() + " is not attached to its source");
        return new PairIterator(this, source.order(epoch));
    }

    @Override
    public PairSplit getUpdatedSplitForIterator(PairIterator it) {
        return new PairSplit(epoch, start, end, it.next, source);
    }

    @Override
    public String toString() { return "PairSplit[" + splitId() + "-" + end + " @" + position + "]"; }

    /** Reads the split's pairs in order; {@code next} is the position a restore resumes at. */
    public static final class PairIterator implements Iterator<RawPair> {
        private final PairSplit split;
        private final int[] order;
        private int next;

        PairIterator(PairSplit split, int[] order) {
            this.split = split;
            this.order = order;
            this.next = split.position;
        }

        @Override
        public boolean hasNext() { return next < split.end; }

        @Override
        public RawPair next() {
            if (!hasNext()) throw new NoSuchElementException();
            RawPair p = split.source.dataset().read(order[next]);
            p.index = split.epoch * order.length + next;
            next++;
            return p;
        }
    }
}
