-- ML_PREDICT with a CLIP model, exactly as the README shows it. ClipMlPredictTest runs this file (${CLIP_MODEL}
-- substituted) against tables images(name STRING, image BYTES) and queries(q STRING). The factory is found
-- through 'provider' = 'clip' when the plugin jar is on the class path (lib/ or ADD JAR).

CREATE TEMPORARY MODEL colour_classifier
INPUT (image BYTES)
OUTPUT (label STRING, score FLOAT)
WITH ('provider' = 'clip', 'clip.model' = '${CLIP_MODEL}', 'task' = 'classify',
      'labels' = 'red,green,blue', 'templates' = 'a photo of a {}.|a {} thing');

-- synchronous (the provider offers both; without the option Flink 2.3 picks the asynchronous function)
SELECT name, label, score FROM ML_PREDICT(TABLE images, MODEL colour_classifier, DESCRIPTOR(image), MAP['async', 'false']);

-- asynchronous (inference on 'async.threads' threads per subtask)
SELECT name, label, score FROM ML_PREDICT(TABLE images, MODEL colour_classifier, DESCRIPTOR(image), MAP['async', 'true']);

CREATE TEMPORARY MODEL text_embedder
INPUT (text STRING)
OUTPUT (embedding ARRAY<FLOAT>)
WITH ('provider' = 'clip', 'clip.model' = '${CLIP_MODEL}', 'task' = 'embed-text');

SELECT q, embedding FROM ML_PREDICT(TABLE queries, MODEL text_embedder, DESCRIPTOR(q), MAP['async', 'true']);
