package io.flinkclip.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ArenaTest {
    @Test
    void recycledBuffersAreReusedAndTakeStillZeroes() {
        Arena a = Arena.reusable();
        float[] x = a.take(100), y = a.takeDirty(50);
        Arrays.fill(x, 3f);
        Arrays.fill(y, 4f);
        assertEquals(150, a.floats());
        a.recycle();
        float[] x2 = a.take(100);
        assertSame(x, x2, "an exact-size buffer is reused");
        for (float v : x2) assertEquals(0f, v, "take() hands out zeros even when it reuses a buffer");
        float[] y2 = a.takeDirty(40);
        assertSame(y, y2, "the smallest free buffer that fits");
        assertNotSame(y, a.take(50), "take() reuses only buffers of exactly the size asked for");
        assertEquals(200, a.floats(), "only the new 50-float buffer is counted");
        assertEquals(200, a.retainedFloats());
    }

    @Test
    void oneCallArenasCannotBeRecycled() {
        Arena a = new Arena();
        a.take(8);
        assertEquals(0, a.retainedFloats());
        assertThrows(IllegalStateException.class, a::recycle);
        assertThrows(IllegalArgumentException.class, () -> a.take(-1));
        assertThrows(IllegalArgumentException.class, () -> a.takeDirty(-1));
    }
}
