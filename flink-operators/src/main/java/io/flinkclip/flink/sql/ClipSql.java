package io.flinkclip.flink.sql;

import java.util.Map;

/** SQL names of the CLIP functions and the classes behind them. */
public final class ClipSql {
    private ClipSql() {}

    public static final Map<String, Class<? extends ClipScalarFunction>> FUNCTIONS = Map.of(
            "CLIP_CLASSIFY", ClipClassifyFunction.class,
            "CLIP_EMBED_IMAGE", ClipEmbedImageFunction.class,
            "CLIP_EMBED_TEXT", ClipEmbedTextFunction.class,
            "CLIP_SIMILARITY", ClipSimilarityFunction.class);

    /** {@code CREATE FUNCTION ... USING JAR} statements for the plugin jar at {@code jarUri}. */
    public static String createFunctions(String jarUri) {
        StringBuilder sb = new StringBuilder();
        FUNCTIONS.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sb.append("CREATE TEMPORARY FUNCTION ")
                .append(e.getKey()).append(" AS '").append(e.getValue().getName()).append("' USING JAR '").append(jarUri).append("';\n"));
        return sb.toString();
    }
}
