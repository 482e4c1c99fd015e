package io.flinkclip.model.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every line of the reference corpus must tokenize exactly as OpenAI's code did, with and without ftfy. */
class ClipTokenizerReferenceTest {
    static Path shared;
    static ClipTokenizer tokenizer;
    static List<String> lines;

    @BeforeAll
    static void load() throws IOException {
        shared = Path.of(System.getProperty("clip.shared.dir", "../shared"));
        tokenizer = ClipTokenizer.fromBpeGz(shared.resolve("vocab/bpe_simple_vocab_16e6.txt.gz"));
        String all = Files.readString(shared.resolve("reference/tokenizer/texts_large.txt"), StandardCharsets.UTF_8);
        lines = new ArrayList<>(Arrays.asList(all.split("\n", -1)));
        assertEquals("", lines.remove(lines.size() - 1), "corpus ends with a newline");
    }

    static int[][] expected(String file) throws IOException {
        JsonNode rows = new ObjectMapper().readTree(shared.resolve("reference/tokenizer/" + file).toFile());
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode r = rows.get(i);
            out[i] = new int[r.size()];
            for (int j = 0; j < r.size(); j++) out[i][j] = r.get(j).intValue();
        }
        return out;
    }

    static List<Integer> mismatches(ClipTokenizer tok, int[][] want, StringBuilder report) {
        assertEquals(lines.size(), want.length, "one reference row per corpus line");
        List<Integer> bad = new ArrayList<>();
        for (int i = 0; i < want.length; i++) {
            int[] got = tok.tokenizeUnpadded(lines.get(i), 77);
            if (!Arrays.equals(got, want[i])) {
                bad.add(i);
                if (bad.size() <= 20)
                    report.append("\nline ").append(i).append(' ').append(escape(lines.get(i))).append("\n  want ")
                            .append(Arrays.toString(want[i])).append("\n  got  ").append(Arrays.toString(got));
            }
        }
        return bad;
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7F) sb.appendCodePoint(c);
            else sb.append(String.format("\\u{%X}", c));
        });
        return sb.append('\'').toString();
    }

    @Test
    void everyLineWithoutFtfy() throws IOException {
        StringBuilder report = new StringBuilder();
        List<Integer> bad = mismatches(tokenizer.withFtfy(false), expected("texts_large.noftfy.tokens.json"), report);
        assertTrue(bad.isEmpty(), bad.size() + " of " + lines.size() + " lines differ: " + bad + report);
    }

    @Test
    void everyLineWithFtfy() throws IOException {
        StringBuilder report = new StringBuilder();
        List<Integer> bad = mismatches(tokenizer, expected("texts_large.ftfy.tokens.json"), report);
        assertTrue(bad.isEmpty(), bad.size() + " of " + lines.size() + " lines differ: " + bad + report);
    }
}
