package io.flinkclip.training.data;

import java.io.Serializable;

/** Random access to a fixed list of image–text pairs. Implementations are serialisable descriptions (paths), not data. */
public interface PairDataset extends Serializable {
    long size();

    /** The pair at position i (0 ≤ i &lt; size()); its {@code index} field is set by the caller. */
    RawPair read(long i);
}
