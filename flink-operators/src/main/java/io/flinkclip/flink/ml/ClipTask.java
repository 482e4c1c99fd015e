package io.flinkclip.flink.ml;

import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What a CLIP model created with CREATE MODEL computes, and the schema it requires. */
public enum ClipTask {
    CLASSIFY("classify", LogicalTypeRoot.VARBINARY, "(label STRING, score FLOAT)"),
    EMBED_IMAGE("embed-image", LogicalTypeRoot.VARBINARY, "(embedding ARRAY<FLOAT>)"),
    EMBED_TEXT("embed-text", LogicalTypeRoot.VARCHAR, "(embedding ARRAY<FLOAT>)");

    final String option;
    final LogicalTypeRoot input;
    final String output;

    ClipTask(String option, LogicalTypeRoot input, String output) {
        this.option = option;
        this.input = input;
        this.output = output;
    }

    public String option() { return option; }

    static ClipTask fromOption(String value) {
        for (ClipTask t : values()) if (t.option.equals(value.trim().toLowerCase(Locale.ROOT))) return t;
        List<String> known = Arrays.stream(values()).map(t -> t.option).toList();
        throw new IllegalArgumentException("unknown CLIP task '" + value + "', expected one of " + known);
    }
}
