package io.flinkclip.model.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ftfy-cases.json} holds [text, ftfy.fix_text(text), unpadded clip tokens] triples written by running
 * ftfy 6.3.1 and OpenAI's simple_tokenizer (regex 2026.5.9, Python 3.11) on: the tiny ViT reference's hard
 * texts, 37 multilingual phrases turned into mojibake through each code page ftfy knows (also with A0 → space,
 * lossy U+FFFD, doubled, embedded in clean text), 1,800 random strings drawn from the characters the mojibake
 * heuristic looks at, and hand-written entity / escape / line-break / surrogate cases.
 */
class FtfyReferenceTest {
    @Test
    void fixTextAndTokensMatchRealFtfy() throws IOException {
        JsonNode cases;
        try (InputStream in = FtfyReferenceTest.class.getResourceAsStream("ftfy-cases.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        ClipTokenizer tok = ClipTokenizer.fromBpeGz(Path.of(System.getProperty("clip.shared.dir", "../shared"))
                .resolve("vocab/bpe_simple_vocab_16e6.txt.gz"));
        List<String> fixFailures = new ArrayList<>();
        List<String> tokenFailures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            String text = cases.get(i).get(0).asText();
            String want = cases.get(i).get(1).asText();
            String got = Ftfy.fixText(text);
            if (!want.equals(got)) {
                fixFailures.add(i + " " + ClipTokenizerReferenceTest.escape(text) + "\n  want "
                        + ClipTokenizerReferenceTest.escape(want) + "\n  got  " + ClipTokenizerReferenceTest.escape(got));
            }
            JsonNode ids = cases.get(i).get(2);
            int[] wantIds = new int[ids.size()];
            for (int j = 0; j < wantIds.length; j++) wantIds[j] = ids.get(j).intValue();
            int[] gotIds = tok.tokenizeUnpadded(text, 77);
            if (!Arrays.equals(wantIds, gotIds)) {
                tokenFailures.add(i + " " + ClipTokenizerReferenceTest.escape(text) + "\n  want "
                        + Arrays.toString(wantIds) + "\n  got  " + Arrays.toString(gotIds));
            }
        }
        assertTrue(cases.size() > 3000, "fixture has " + cases.size() + " cases");
        assertTrue(fixFailures.isEmpty() && tokenFailures.isEmpty(), fixFailures.size() + " fix_text and "
                + tokenFailures.size() + " token mismatches of " + cases.size() + ":\n"
                + String.join("\n", fixFailures.subList(0, Math.min(30, fixFailures.size()))) + "\n"
                + String.join("\n", tokenFailures.subList(0, Math.min(10, tokenFailures.size()))));
    }

    /**
     * {@code fuzz-cases.json}: 4,000 random strings (ASCII, HTML entity names and numeric references with odd
     * values, every kind of whitespace and control character, quotes, sigma, dotted I, ligatures, width forms,
     * combining marks, random characters assigned in Unicode 14) with OpenAI's ids with and without ftfy.
     */
    @Test
    void randomStringsMatchOpenAiWithAndWithoutFtfy() throws IOException {
        JsonNode rows;
        try (InputStream in = FtfyReferenceTest.class.getResourceAsStream("fuzz-cases.json")) {
            rows = new ObjectMapper().readTree(in);
        }
        ClipTokenizer tok = ClipTokenizer.fromBpeGz(Path.of(System.getProperty("clip.shared.dir", "../shared"))
                .resolve("vocab/bpe_simple_vocab_16e6.txt.gz"));
        List<String> failures = new ArrayList<>();
        for (JsonNode r : rows) {
            String text = r.get(0).asText();
            for (int mode = 0; mode < 2; mode++) {
                JsonNode e = r.get(1 + mode);
                int[] want = new int[e.size()];
                for (int j = 0; j < want.length; j++) want[j] = e.get(j).intValue();
                int[] got = tok.withFtfy(mode == 0).encode(text);
                if (!Arrays.equals(want, got)) {
                    failures.add((mode == 0 ? "ftfy " : "plain ") + ClipTokenizerReferenceTest.escape(text) + "\n  want "
                            + Arrays.toString(want) + "\n  got  " + Arrays.toString(got));
                }
            }
        }
        assertTrue(rows.size() >= 4000, "fixture has " + rows.size() + " rows");
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n"
                + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    }
}
