package io.flinkclip.flink.testing;

import io.flinkclip.flink.ClipModelProvider;
import io.flinkclip.model.Clip;

import java.util.concurrent.atomic.AtomicInteger;

/** TEST DOUBLE provider for locations "fake:plain[#tag]" and "fake:swapped" (see {@link FakeClip}); counts loads. */
public final class FakeClipModelProvider implements ClipModelProvider {
    public static final String PLAIN = "fake:plain";
    public static final String SWAPPED = "fake:swapped";
    public static final AtomicInteger LOADS = new AtomicInteger();

    @Override
    public boolean supports(String location) { return location.startsWith("fake:"); }

    @Override
    public Clip load(String location) {
        LOADS.incrementAndGet();
        // "fake:plain#anything" is another location (own registry entry) for the same plain model
        if (location.equals(PLAIN) || location.startsWith(PLAIN + "#")) return FakeClip.create(false);
        if (location.equals(SWAPPED)) return FakeClip.create(true);
        throw new IllegalArgumentException("unknown fake model '" + location + "'");
    }
}
