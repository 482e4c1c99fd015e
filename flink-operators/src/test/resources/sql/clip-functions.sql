-- The four CLIP SQL functions, exactly as the README shows them. ClipSqlTest runs this file statement by
-- statement (${CLIP_PLUGIN_JAR} and ${CLIP_MODEL} are substituted) against a table images(name STRING, image BYTES).

-- Register the functions from the plugin jar (flink-operators/target/flink-clip-flink-operators-*-plugin.jar).
CREATE TEMPORARY FUNCTION CLIP_CLASSIFY AS 'io.flinkclip.flink.sql.ClipClassifyFunction' USING JAR '${CLIP_PLUGIN_JAR}';
CREATE TEMPORARY FUNCTION CLIP_EMBED_IMAGE AS 'io.flinkclip.flink.sql.ClipEmbedImageFunction' USING JAR '${CLIP_PLUGIN_JAR}';
CREATE TEMPORARY FUNCTION CLIP_EMBED_TEXT AS 'io.flinkclip.flink.sql.ClipEmbedTextFunction' USING JAR '${CLIP_PLUGIN_JAR}';
CREATE TEMPORARY FUNCTION CLIP_SIMILARITY AS 'io.flinkclip.flink.sql.ClipSimilarityFunction' USING JAR '${CLIP_PLUGIN_JAR}';

-- The model all CLIP functions use (read when a function opens).
SET 'clip.model' = '${CLIP_MODEL}';

-- Zero-shot classification with a prompt template; bad images give NULL.
SELECT name, t.c.label AS label, t.c.score AS score, t.c.`top` AS `top`
FROM (SELECT name, CLIP_CLASSIFY(image, ARRAY['red', 'green', 'blue'], ARRAY['a photo of a {}.']) AS c FROM images) AS t;

-- Image embeddings (L2-normalised).
SELECT name, CLIP_EMBED_IMAGE(image) AS embedding FROM images;

-- Text embeddings (L2-normalised).
SELECT q, CLIP_EMBED_TEXT(q) AS embedding FROM (VALUES ('a photo of a red thing'), ('green')) AS queries(q);

-- Cosine similarity between each image and a text.
SELECT name, CLIP_SIMILARITY(image, 'something red') AS similarity FROM images;
