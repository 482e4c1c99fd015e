package io.flinkclip.io.nativefmt;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.Tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian tensor element encoding in chunks, so no tensor is ever duplicated whole in memory. */
final class TensorCodec {
    private TensorCodec() {}


    /** Writes elements [from, from+count) of {@code t} as {@code as} into {@code dst} (little-endian). */
    static void encode(Tensor t, DType as, int from, int count, ByteBuffer dst) {
        dst.order(ByteOrder.LITTLE_ENDIAN);
        int to = from + count;
        if (t.data() != null) {
            float[] d = t.data();
            switch (as) {
                case F32 -> { // bulk copy through a little-endian view
                    dst.asFloatBuffer().put(d, from, count);
                    dst.position(dst.position() + 4 * count);
                }
                case F64 -> { for (int i = from; i < to; i++) dst.putDouble(d[i]); }
                case F16 -> { for (int i = from; i < to; i++) dst.putShort(Float.floatToFloat16(d[i])); }
                case BF16 -> { for (int i = from; i < to; i++) dst.putShort(SafeTensors.floatToBf16(d[i])); }
                default -> throw new ClipFormatException(t.name() + ": cannot store a float tensor as " + as);
            }
        } else {
            long[] d = t.longs();
            switch (as) {
                case I64 -> { for (int i = from; i < to; i++) dst.putLong(d[i]); }
                case I32 -> { for (int i = from; i < to; i++) dst.putInt((int) d[i]); }
                case I16 -> { for (int i = from; i < to; i++) dst.putShort((short) d[i]); }
                case I8, U8, BOOL -> { for (int i = from; i < to; i++) dst.put((byte) d[i]); }
                default -> throw new ClipFormatException(t.name() + ": cannot store an integer tensor as " + as);
            }
        }
    }

    /** Decodes {@code n} elements of {@code dt} at {@code at}; floats of any width become float32. */
    static Tensor decode(MemorySegment seg, long at, int n, DType dt, String name, int[] shape) {
        return io.flinkclip.io.SafeTensors.decode(seg, at, n, dt, name, shape);
    }
}
