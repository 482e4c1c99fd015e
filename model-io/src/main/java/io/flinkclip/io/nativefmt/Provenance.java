package io.flinkclip.io.nativefmt;

/** Where a native model file came from. */
public record Provenance(String source, String sourceFormat, String converterVersion, long createdUnixMillis) {
    public static final String CONVERTER_VERSION = "flink-clip-model-io 0.1.0";

    public static Provenance now(String source, String sourceFormat) {
        return new Provenance(source, sourceFormat, CONVERTER_VERSION, System.currentTimeMillis());
    }
}
