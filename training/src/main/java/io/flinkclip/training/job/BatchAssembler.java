package io.flinkclip.training.job;

import io.flinkclip.training.data.TrainPair;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Forms contrastive batches in global index order whatever order pairs arrive in (parallel decoders interleave
 * them): pairs wait until every smaller index has arrived, skipped pairs are passed over, and each run of
 * {@code batchSize} usable pairs in index order is one batch. Its whole state serialises for checkpoints.
 */
public final class BatchAssembler {
    private final int batchSize;
    private final TreeMap<Long, TrainPair> pending = new TreeMap<>();
    private final List<TrainPair> batch = new ArrayList<>();
    private long next;

    public BatchAssembler(int batchSize) { this.batchSize = batchSize; }

    /** Adds a pair; returns the batches it completed (usually none or one). Indices below the frontier are dropped. */
    public List<List<TrainPair>> add(TrainPair p) {
        if (p.index < next || pending.containsKey(p.index)) return List.of();   // replayed duplicate
        pending.put(p.index, p);
        List<List<TrainPair>> done = new ArrayList<>(1);
        for (TrainPair q; (q = pending.remove(next)) != null; next++) {
            if (q.isSkipped()) continue;
            batch.add(q);
            if (batch.size() == batchSize) {
                done.add(List.copyOf(batch));
                batch.clear();
            }
        }
        return done;
    }

    public long frontier() { return next; }

    public int waiting() { return pending.size() + batch.size(); }

    public void write(DataOutputStream out) throws IOException {
        out.writeLong(next);
        out.writeInt(batch.size());
        for (TrainPair p : batch) writePair(p, out);
        out.writeInt(pending.size());
        for (TrainPair p : pending.values()) writePair(p, out);
    }

    public void read(DataInputStream in) throws IOException {
        pending.clear();
        batch.clear();
        next = in.readLong();
        for (int i = 0, n = in.readInt(); i < n; i++) batch.add(readPair(in));
        for (int i = 0, n = in.readInt(); i < n; i++) {
            TrainPair p = readPair(in);
            pending.put(p.index, p);
        }
    }

    private static void writePair(TrainPair p, DataOutputStream out) throws IOException {
        out.writeLong(p.index);
        out.writeBoolean(p.isSkipped());
        if (p.isSkipped()) {
            out.writeUTF(p.skipReason == null ? "" : p.skipReason);
            return;
        }
        out.writeInt(p.pixels.length);
        for (float v : p.pixels) out.writeFloat(v);
        out.writeInt(p.tokens.length);
        for (int t : p.tokens) out.writeInt(t);
    }

    private static TrainPair readPair(DataInputStream in) throws IOException {
        long index = in.readLong();
        if (in.readBoolean()) return TrainPair.skipped(index, in.readUTF());
        float[] px = new float[in.readInt()];
        for (int i = 0; i < px.length; i++) px[i] = in.readFloat();
        int[] tok = new int[in.readInt()];
        for (int i = 0; i < tok.length; i++) tok[i] = in.readInt();
        return new TrainPair(index, px, tok);
    }
}
