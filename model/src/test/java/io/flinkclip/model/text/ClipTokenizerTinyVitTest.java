package io.flinkclip.model.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-picked hard texts of the tiny ViT reference: padded rows and lengths. These rows were produced with
 * ftfy switched off (they match OpenAI's code without ftfy on all 171 texts, and differ with ftfy 6.3.1 on 17,
 * e.g. "cafe\u0301" is not NFC-composed), so they are compared with {@code withFtfy(false)}; the same texts
 * with real ftfy are covered by {@link FtfyReferenceTest}.
 */
class ClipTokenizerTinyVitTest {
    @Test
    void tokenizerTextsMatchReference() throws IOException {
        Path shared = Path.of(System.getProperty("clip.shared.dir", "../shared"));
        Path dir = shared.resolve("reference/tiny-vit");
        ClipTokenizer tok = ClipTokenizer.fromBpeGz(shared.resolve("vocab/bpe_simple_vocab_16e6.txt.gz")).withFtfy(false);
        JsonNode texts = new ObjectMapper().readTree(dir.resolve("texts.json").toFile());
        StateDict expected = SafeTensors.read(dir.resolve("expected.safetensors"));

        check(tok, texts.get("tokenizer_texts"), expected.get("tokenizer.tokens"), expected.get("tokenizer.lengths"));
        check(tok, texts.get("model_texts"), expected.get("tokens"), null);
    }

    private static void check(ClipTokenizer tok, JsonNode texts, Tensor tokens, Tensor lengths) {
        int n = texts.size();
        assertArrayEquals(new int[] {n, 77}, tokens.shape());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String text = texts.get(i).asText();
            int[] want = new int[77];
            for (int j = 0; j < 77; j++) want[j] = (int) tokens.longs()[i * 77 + j];
            int[] got = tok.tokenize(text, 77);
            if (!Arrays.equals(want, got)) {
                failures.add(i + " " + ClipTokenizerReferenceTest.escape(text) + "\n  want " + Arrays.toString(want)
                        + "\n  got  " + Arrays.toString(got));
            }
            if (lengths != null) {
                assertEquals(lengths.longs()[i], tok.tokenizeUnpadded(text, 77).length, "length of text " + i);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + n + " texts differ:\n" + String.join("\n", failures));
    }
}
