package io.flinkclip.training.job;

import io.flinkclip.training.data.TrainPair;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BatchAssemblerTest {
    private static TrainPair pair(long i) { return new TrainPair(i, new float[]{i}, new int[]{(int) i}); }

    private static List<Long> indices(List<List<TrainPair>> batches) {
        List<Long> out = new ArrayList<>();
        for (List<TrainPair> b : batches) for (TrainPair p : b) out.add(p.index);
        return out;
    }

    @Test
    void batchesFollowIndexOrderSkippingBadPairs() throws IOException {
        BatchAssembler a = new BatchAssembler(3);
        List<List<TrainPair>> done = new ArrayList<>();
        done.addAll(a.add(pair(2)));
        done.addAll(a.add(pair(1)));
        assertEquals(0, done.size());
        done.addAll(a.add(TrainPair.skipped(0, "bad")));
        done.addAll(a.add(pair(4)));
        assertEquals(0, done.size(), "index 3 is still missing");
        done.addAll(a.add(pair(3)));
        assertEquals(List.of(1L, 2L, 3L), indices(done));
        done.addAll(a.add(pair(3)));   // replayed duplicate: ignored
        done.addAll(a.add(pair(6)));
        // snapshot now and continue two copies: they must agree
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        a.write(new DataOutputStream(bytes));
        BatchAssembler b = new BatchAssembler(3);
        b.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(a.frontier(), b.frontier());
        assertEquals(a.waiting(), b.waiting());
        List<Long> ra = indices(a.add(pair(5))), rb = indices(b.add(pair(5)));
        assertEquals(List.of(4L, 5L, 6L), ra);
        assertEquals(ra, rb);
    }
}
