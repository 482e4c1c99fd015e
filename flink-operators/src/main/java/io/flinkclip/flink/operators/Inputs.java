package io.flinkclip.flink.operators;

import io.flinkclip.flink.ImageRecord;
import io.flinkclip.flink.TextRecord;
import io.flinkclip.model.Clip;

import java.util.ArrayList;
import java.util.List;

/** Per-record input preparation shared by the inferences: bad inputs are reported, good ones batched. */
final class Inputs {
    private Inputs() {}

    /** Embeds the decodable images of a batch; returns normalised embeddings aligned with the batch (null = bad). */
    static float[][] embedImages(Clip clip, List<ImageRecord> batch, BatchInference.Results<?> out) {
        int res = clip.config().imageResolution();
        int expected = 3 * res * res;
        List<float[]> pixels = new ArrayList<>(batch.size());
        List<Integer> good = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            byte[] bytes = batch.get(i).image();
            if (bytes == null || bytes.length == 0) {
                out.bad(i, "empty image");
                continue;
            }
            float[] p;
            try {
                p = clip.pixels(bytes);
            } catch (RuntimeException e) {
                // ImageDecodeException for corrupt/oversized images; anything else a decoder bug on odd input.
                out.bad(i, "undecodable image: " + e.getMessage());
                continue;
            }
            if (p.length != expected) {
                out.bad(i, "wrong image size: " + p.length + " pixel values, expected " + expected);
                continue;
            }
            pixels.add(p);
            good.add(i);
        }
        float[][] result = new float[batch.size()][];
        if (pixels.isEmpty()) return result;
        float[][] emb = clip.embedPixels(pixels);
        for (int j = 0; j < emb.length; j++) result[good.get(j)] = Clip.normalize(emb[j]);
        return result;
    }

    /** Embeds the non-empty texts of a batch; returns normalised embeddings aligned with the batch (null = bad). */
    static float[][] embedTexts(Clip clip, List<TextRecord> batch, BatchInference.Results<?> out) {
        List<int[]> tokens = new ArrayList<>(batch.size());
        List<Integer> good = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            String text = batch.get(i).text();
            if (text == null || text.isBlank()) {
                out.bad(i, "empty text");
                continue;
            }
            try {
                tokens.add(clip.tokens(text));
                good.add(i);
            } catch (RuntimeException e) {
                out.bad(i, "untokenizable text: " + e.getMessage());
            }
        }
        float[][] result = new float[batch.size()][];
        if (tokens.isEmpty()) return result;
        float[][] emb = clip.encoder().encodeTexts(tokens.toArray(int[][]::new));
        for (int j = 0; j < emb.length; j++) result[good.get(j)] = Clip.normalize(emb[j]);
        return result;
    }
}
