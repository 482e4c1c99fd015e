package io.flinkclip.training.data;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.lib.util.IteratorSourceReader;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * FLIP-27 source of image–text pairs: each epoch visits the dataset in a seeded order, cut into splits of
 * {@code splitSize} positions that the enumerator hands out lazily in order. Reader positions inside splits and the
 * enumerator's progress are checkpointed, so a restored job re-reads exactly the pairs after the checkpoint.
 * {@code epochs ≤ 0} makes the source unbounded (epoch after epoch).
 */
public final class PairSource implements Source<RawPair, PairSplit, PairEnumerator.State>, ResultTypeQueryable<RawPair> {
    private final PairDataset dataset;
    private final EpochOrder order;
    private final long epochs;
    private final int splitSize;
    private transient long cachedEpoch;   // valid only while cachedOrder != null (transient fields deserialise as 0)
    private transient int[] cachedOrder;

    public PairSource(PairDataset dataset, long seed, boolean shuffle, long epochs, int splitSize) {
        this.dataset = dataset;
        this.order = new EpochOrder(dataset.size(), seed, shuffle);
        this.epochs = epochs;
        if (splitSize <= 0) throw new IllegalArgumentException("split size must be positive, got " + splitSize);
        this.splitSize = (int) Math.min(splitSize, dataset.size());
    }

    PairDataset dataset() { return dataset; }

    synchronized int[] order(long epoch) {
        if (cachedOrder == null || epoch != cachedEpoch) {
            cachedOrder = order.permutation(epoch);
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    int splitsPerEpoch() { return (int) ((dataset.size() + splitSize - 1) / splitSize); }

    /** Total splits, or Long.MAX_VALUE when unbounded. */
    long totalSplits() { return epochs <= 0 ? Long.MAX_VALUE : epochs * splitsPerEpoch(); }

    PairSplit split(long k) {
        long epoch = k / splitsPerEpoch();
        int start = (int) (k % splitsPerEpoch()) * splitSize;
        int end = (int) Math.min(dataset.size(), (long) start + splitSize);
        return new PairSplit(epoch, start, end, start, this);
    }

    @Override
    public Boundedness getBoundedness() { return epochs <= 0 ? Boundedness.CONTINUOUS_UNBOUNDED : Boundedness.BOUNDED; }

    @Override
    public SourceReader<RawPair, PairSplit> createReader(SourceReaderContext ctx) {
        return new IteratorSourceReader<>(ctx);
    }

    @Override
    public SplitEnumerator<PairSplit, PairEnumerator.State> createEnumerator(SplitEnumeratorContext<PairSplit> ctx) {
        return new PairEnumerator(this, ctx, new PairEnumerator.State(0, List.of()));
    }

    @Override
    public SplitEnumerator<PairSplit, PairEnumerator.State> restoreEnumerator(SplitEnumeratorContext<PairSplit> ctx, PairEnumerator.State state) {
        return new PairEnumerator(this, ctx, state);
    }

    @Override
    public SimpleVersionedSerializer<PairSplit> getSplitSerializer() { return new SplitSerializer(this); }

    @Override
    public SimpleVersionedSerializer<PairEnumerator.State> getEnumeratorCheckpointSerializer() {
        SplitSerializer splits = new SplitSerializer(this);
        return new SimpleVersionedSerializer<>() {
            @Override public int getVersion() { return 1; }

            @Override
            public byte[] serialize(PairEnumerator.State s) throws IOException {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeLong(s.nextSplit());
                out.writeInt(s.returned().size());
                for (PairSplit p : s.returned()) splits.write(p, out);
                out.flush();
                return bytes.toByteArray();
            }

            @Override
            public PairEnumerator.State deserialize(int version, byte[] b) throws IOException {
                if (version != 1) throw new IOException("unknown enumerator state version " + version);
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
                long next = in.readLong();
                int n = in.readInt();
                List<PairSplit> back = new ArrayList<>(n);
                for (int i = 0; i < n; i++) back.add(splits.read(in));
                return new PairEnumerator.State(next, back);
            }
        };
    }

    @Override
    public TypeInformation<RawPair> getProducedType() { return TypeInformation.of(RawPair.class); }

    private record SplitSerializer(PairSource source) implements SimpleVersionedSerializer<PairSplit> {
        @Override public int getVersion() { return 1; }

        void write(PairSplit s, DataOutputStream out) throws IOException {
            out.writeLong(s.epoch);
            out.writeInt(s.start);
            out.writeInt(s.end);
            out.writeInt(s.position);
        }

        PairSplit read(DataInputStream in) throws IOException {
            return new PairSplit(in.readLong(), in.readInt(), in.readInt(), in.readInt(), source);
        }

        @Override
        public byte[] serialize(PairSplit s) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            write(s, out);
            out.flush();
            return bytes.toByteArray();
        }

        @Override
        public PairSplit deserialize(int version, byte[] b) throws IOException {
            if (version != 1) throw new IOException("unknown split version " + version);
            return read(new DataInputStream(new ByteArrayInputStream(b)));
        }
    }
}
