package io.flinkclip.io;

/** Element types a tensor file may hold; names follow safetensors. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public boolean isFloat() { return this == F64 || this == F32 || this == F16 || this == BF16; }

    /** F16 or BF16: values a 16-bit packed matrix can hold as they are stored. */
    public boolean isSixteenBitFloat() { return this == F16 || this == BF16; }

    public static DType parse(String name) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new ClipFormatException("unsupported tensor dtype '" + name + "'");
        }
    }
}
