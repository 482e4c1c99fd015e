package io.flinkclip.flink;

import io.flinkclip.flink.control.ControlMessages;
import io.flinkclip.flink.control.ControlState;
import io.flinkclip.flink.control.proto.ControlMessage;
import io.flinkclip.flink.testing.FakeClip;
import io.flinkclip.flink.testing.FakeClipModelProvider;
import io.flinkclip.model.Clip;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipModelLoaderTest {
    /** Used through the supplier: scheme. */
    public static final class FakeSupplier implements Supplier<Clip> {
        @Override
        public Clip get() { return FakeClip.create(false); }
    }

    @Test
    void resolvesThroughServiceLoaderAndSupplierScheme() {
        assertEquals(3, ClipModelLoader.load(FakeClipModelProvider.PLAIN).embedDim());
        assertEquals(3, ClipModelLoader.load(SupplierModelProvider.SCHEME + FakeSupplier.class.getName()).embedDim());
    }

    @Test
    void unknownLocationsFailWithAClearMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> ClipModelLoader.load("s3://nowhere/model"));
        assertTrue(e.getMessage().contains("no ClipModelProvider supports model location 's3://nowhere/model'"), e.getMessage());
        assertTrue(e.getMessage().contains(FakeClipModelProvider.class.getName()), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClipModelLoader.load("supplier:java.lang.String"));
        assertTrue(e.getMessage().contains("does not implement java.util.function.Supplier"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClipModelLoader.load(" "));
    }

    @Test
    void sharedRegistryLoadsOncePerLocation() {
        String location = FakeClipModelProvider.PLAIN + "#registry-test";
        int before = FakeClipModelProvider.LOADS.get();
        try (var a = SharedClipModels.acquire(location); var b = SharedClipModels.acquire(location)) {
            assertSame(a.clip(), b.clip());
            assertEquals(before + 1, FakeClipModelProvider.LOADS.get());
            a.close();
            a.close(); // idempotent
            assertEquals(1, SharedClipModels.references(location));
            assertThrows(IllegalStateException.class, a::clip);
        }
        assertEquals(0, SharedClipModels.references(location));
    }

    @Test
    void controlStateValidatesMessages() throws Exception {
        ControlState s = ControlState.initial("fake:plain", List.of("a"), List.of(), List.of());
        assertThrows(IllegalArgumentException.class, () -> s.apply(ControlMessage.parseFrom(ControlMessages.labels(1, List.of(), List.of()))));
        assertThrows(IllegalArgumentException.class, () -> s.apply(ControlMessage.parseFrom(ControlMessages.labels(1, List.of("x", " "), List.of()))));
        assertThrows(IllegalArgumentException.class, () -> s.apply(ControlMessage.newBuilder().setVersion(1).build()));
        ControlState next = s.apply(ControlMessage.parseFrom(ControlMessages.queries(3, List.of(ControlMessages.query("q", "red", 0.5f)))));
        assertEquals(3, next.version());
        assertEquals(List.of("a"), next.labels(), "other parts of the state are kept");
        assertEquals("red", ControlState.fromBytes(next.toBytes()).queries().get(0).getText());
    }
}
