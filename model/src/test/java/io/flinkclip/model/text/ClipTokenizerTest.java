package io.flinkclip.model.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTokenizerTest {
    static ClipTokenizer tok;
    static List<String> corpus;

    @BeforeAll
    static void load() throws IOException {
        Path shared = Path.of(System.getProperty("clip.shared.dir", "../shared"));
        tok = ClipTokenizer.fromBpeGz(shared.resolve("vocab/bpe_simple_vocab_16e6.txt.gz"));
        corpus = Arrays.asList(Files.readString(shared.resolve("reference/tokenizer/texts_large.txt")).split("\n"));
    }

    @Test
    void vocabularyLayoutIsOpenAis() {
        List<String> v = tok.vocabulary();
        assertEquals(49408, v.size());
        assertEquals(49408, tok.vocabularySize());
        assertEquals(ClipTokenizer.OPENAI_MERGES, tok.merges().size());
        assertEquals("!", v.get(0));
        assertEquals("\u0100", v.get(188)); // byte 0x00, the first non-printable byte
        assertEquals("!</w>", v.get(256));
        assertEquals("<|startoftext|>", v.get(49406));
        assertEquals("<|endoftext|>", v.get(49407));
        assertEquals(49406, tok.startOfText());
        assertEquals(49407, tok.endOfText());
        String first = tok.merges().get(0);
        assertEquals(first.replace(" ", ""), v.get(512));
    }

    @Test
    void tokenizePadsTruncatesAndEndsWithEot() {
        int[] ids = tok.tokenize("a photo of a cat", 77);
        assertEquals(77, ids.length);
        assertArrayEquals(new int[] {49406, 320, 1125, 539, 320, 2368, 49407, 0}, Arrays.copyOf(ids, 8));
        int[] longIds = tok.tokenize("word ".repeat(200), 77);
        assertEquals(49407, longIds[76]);
        assertEquals(2, tok.tokenize("", 77)[1] == 49407 ? 2 : -1);
        assertArrayEquals(new int[] {49406, 49407}, tok.tokenizeUnpadded("  \t ", 77));
        assertArrayEquals(new int[] {49406, 49407}, tok.tokenizeUnpadded("anything at all", 2));
        assertArrayEquals(new int[] {49406, 320, 49407}, tok.tokenizeUnpadded("a photo", 3));
        assertThrows(IllegalArgumentException.class, () -> tok.tokenize("x", 1));
        assertThrows(IllegalArgumentException.class, () -> tok.tokenize("x", Integer.MAX_VALUE));
        assertThrows(NullPointerException.class, () -> tok.tokenize((String) null, 77));
    }

    @Test
    void typedSpecialTokensBecomeSpecialIds() {
        assertArrayEquals(new int[] {49407, 49406, 3306}, tok.encode("<|endoftext|><|STARTOFTEXT|>hello"));
    }

    /** Expected ids from OpenAI's code with ftfy off (regex 2026.5.9): U+0345 matches no alternative. */
    @Test
    void ypogegrammeniIsSkippedLikeTheRegexModuleDoes() {
        ClipTokenizer plain = tok.withFtfy(false);
        assertArrayEquals(new int[] {320, 321}, plain.encode("a\u0345b"));
        assertArrayEquals(new int[] {256, 256}, plain.encode("!\u0345!"));
        assertArrayEquals(new int[] {}, plain.encode("\u0345"));
        assertArrayEquals(new int[] {343, 136, 479, 344}, plain.encode("x \u0345\u0301 y"));
        assertArrayEquals(new int[] {138, 365, 138, 365}, plain.encode("\u03b1\u0345 \u0391\u0345"));
    }

    @Test
    void decodeInvertsEncodeUpToSpacingAndCase() {
        assertEquals("a photo of a cat ", tok.decode(tok.encode("A  photo of a CAT")));
        assertEquals("naïve café 東京 😀 ", tok.decode(tok.encode("naïve café 東京 😀")));
        assertEquals("<|startoftext|>hi <|endoftext|>", tok.decode(new int[] {49406, 1883, 49407}));
        // a lone continuation byte decodes to U+FFFD like Python's errors="replace"
        assertEquals("\uFFFD", tok.decode(new int[] {tok.vocabulary().indexOf("\u00A9")}));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {49408}));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {-1}));
    }

    @Test
    void loneSurrogatesAndMalformedBytesBecomeReplacementCharacters() {
        int[] replacement = tok.encode("\uFFFD");
        for (ClipTokenizer t : List.of(tok, tok.withFtfy(false))) {
            assertArrayEquals(replacement, t.encode("\uD800"));
            assertArrayEquals(replacement, t.encode("\uDC00"));
            assertArrayEquals(t.encode("a \uFFFD\uFFFD b"), t.encode("a \uDC00\uD800 b"));
            assertArrayEquals(t.encode("\uD83D\uDE00"), t.encode("😀"));
        }
        byte[] bad = {'c', 'a', 't', ' ', (byte) 0xFF, (byte) 0xC3};
        assertArrayEquals(tok.tokenize("cat \uFFFD\uFFFD", 77), tok.tokenize(bad, 77));
        assertArrayEquals(tok.tokenize("café", 77), tok.tokenize("café".getBytes(StandardCharsets.UTF_8), 77));
    }

    @Test
    void withFtfyTogglesTheFixingStep() {
        ClipTokenizer plain = tok.withFtfy(false);
        assertNotSame(tok, plain);
        assertSame(tok, tok.withFtfy(true));
        assertTrue(tok.ftfy());
        assertEquals(false, plain.ftfy());
        // ftfy straightens the apostrophe so the contraction splits off; without it "’" is a symbol
        assertArrayEquals(tok.encode("don't"), tok.encode("don\u2019t"));
        assertTrue(!Arrays.equals(plain.encode("don't"), plain.encode("don\u2019t")));
        assertArrayEquals(tok.encode("café"), tok.encode("caf\u00C3\u00A9"));
    }

    @Test
    void fromMergesAndHuggingFaceFilesReproduceTheOpenAiTokenizer(@TempDir Path dir) throws IOException {
        ClipTokenizer again = ClipTokenizer.fromMerges(tok.merges());
        assertEquals(tok.vocabulary(), again.vocabulary());

        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> tokens = tok.vocabulary();
        // Hugging Face lists tokens in its own order; shuffle to make sure ids come from the file, not the order
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) order.add(i);
        java.util.Collections.shuffle(order, new Random(7));
        for (int i : order) vocab.put(tokens.get(i), i);
        Path vocabJson = dir.resolve("vocab.json");
        new ObjectMapper().writeValue(vocabJson.toFile(), vocab);
        Path mergesTxt = dir.resolve("merges.txt");
        Files.writeString(mergesTxt, "#version: 0.2\n" + String.join("\n", tok.merges()) + "\n");

        ClipTokenizer hf = ClipTokenizer.fromHuggingFace(vocabJson, mergesTxt);
        assertEquals(tok.vocabulary(), hf.vocabulary());
        assertEquals(tok.merges(), hf.merges());
        for (int i = 0; i < corpus.size(); i += 7) {
            assertArrayEquals(tok.tokenize(corpus.get(i), 77), hf.tokenize(corpus.get(i), 77), corpus.get(i));
        }
    }

    @Test
    void badVocabularyFilesFailWithClearMessages(@TempDir Path dir) throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClipTokenizer.fromBpeGz(new ByteArrayInputStream("not gzip".getBytes())));
        assertTrue(e.getMessage().contains("gzip"), e.getMessage());

        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write("#version\ni n\nt h\n".getBytes(StandardCharsets.UTF_8));
        }
        e = assertThrows(IllegalArgumentException.class,
                () -> ClipTokenizer.fromBpeGz(new ByteArrayInputStream(gz.toByteArray())));
        assertTrue(e.getMessage().contains("merge lines"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.fromMerges(List.of("i n", "nonsense")));
        assertTrue(e.getMessage().contains("nonsense"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.fromMerges(List.of("i n", "xyz q")));
        assertTrue(e.getMessage().contains("not in the vocabulary"), e.getMessage());

        Path vocabJson = dir.resolve("vocab.json");
        Files.writeString(vocabJson, "{\"a\": 0, \"b\": 5}");
        Path mergesTxt = dir.resolve("merges.txt");
        Files.writeString(mergesTxt, "#version: 0.2\n");
        e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.fromHuggingFace(vocabJson, mergesTxt));
        assertTrue(e.getMessage().contains("id 5"), e.getMessage());
        Files.writeString(vocabJson, "[1, 2]");
        e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.fromHuggingFace(vocabJson, mergesTxt));
        assertTrue(e.getMessage().contains("JSON object"), e.getMessage());
    }

    /** The heap-based BPE must give exactly what OpenAI's quadratic loop gives, also on long odd words. */
    @Test
    void fastBpeAgreesWithTheReferenceLoop() {
        Map<String, Integer> rank = new java.util.HashMap<>();
        List<String> merges = tok.merges();
        for (int i = 0; i < merges.size(); i++) rank.putIfAbsent(merges.get(i), i);
        Map<String, Integer> ids = new java.util.HashMap<>();
        List<String> v = tok.vocabulary();
        for (int i = 0; i < v.size(); i++) ids.put(v.get(i), i);
        Random rnd = new Random(11);
        String alphabet = "aaabbeeeinnorsssttlllm\u00e9\u00fc\u4e2d\u6587";
        ClipTokenizer plain = tok.withFtfy(false);
        for (int k = 0; k < 300; k++) {
            StringBuilder w = new StringBuilder();
            int len = 1 + rnd.nextInt(k < 250 ? 40 : 600);
            for (int i = 0; i < len; i++) w.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            String word = w.toString();
            String symbols = ByteUnicode.encode(word.getBytes(StandardCharsets.UTF_8));
            assertArrayEquals(referenceBpe(symbols, rank, ids), plain.encode(word), word);
        }
    }

    private static int[] referenceBpe(String token, Map<String, Integer> rank, Map<String, Integer> ids) {
        List<String> word = new ArrayList<>();
        for (int i = 0; i < token.length(); i++) word.add(String.valueOf(token.charAt(i)));
        word.set(word.size() - 1, word.get(word.size() - 1) + "</w>");
        while (word.size() > 1) {
            String best = null;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = rank.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = word.get(i) + " " + word.get(i + 1);
                }
            }
            if (best == null) break;
            String first = best.substring(0, best.indexOf(' ')), second = best.substring(best.indexOf(' ') + 1);
            List<String> next = new ArrayList<>();
            for (int i = 0; i < word.size(); ) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    next.add(first + second);
                    i += 2;
                } else {
                    next.add(word.get(i++));
                }
            }
            word = next;
        }
        return word.stream().mapToInt(ids::get).toArray();
    }

    @Test
    void hugeInputsStayFast() {
        String word = new Random(3).ints(50_000, 'a', 'z' + 1)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        long t0 = System.nanoTime();
        int[] ids = tok.tokenize(word + " \u00c3\u00a9 &amp; " + word, 77);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(49407, ids[76]);
        assertTrue(ms < 10_000, "took " + ms + " ms");
    }

    @Test
    void sharedInstanceIsThreadSafe() throws Exception {
        ClipTokenizer fresh = ClipTokenizer.fromMerges(tok.merges()); // cold cache, so threads race on filling it
        int[][] expected = new int[corpus.size()][];
        for (int i = 0; i < expected.length; i++) expected[i] = tok.tokenize(corpus.get(i), 77);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t * 331;
                results.add(pool.submit(() -> {
                    int bad = 0;
                    for (int k = 0; k < corpus.size(); k++) {
                        int i = (k + offset) % corpus.size();
                        if (!Arrays.equals(expected[i], fresh.tokenize(corpus.get(i), 77))) bad++;
                    }
                    return bad;
                }));
            }
            for (Future<Integer> f : results) assertEquals(0, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Seeded random texts (HTML entities, mojibake, combining marks, lone surrogates, controls, any code point, long
     * runs of one letter, up to 20,000 chars) and random bytes: every one gives a well-formed context (SOT first, EOT
     * last, ids inside the vocabulary, zero padding) with and without ftfy, never an exception, and the whole run ends
     * in bounded time (catastrophic backtracking in the pre-tokenizer or the cleaner would show as a timeout).
     */
    @Test
    void randomTextsAndBytesAlwaysGiveAWellFormedContext() {
        String[] pieces = {"&amp;", "&#x1F600;", "&#99999999;", "&", "<br>", "\u0301", "\uD83D", "\uDE00", "\u200B", "\u00A0",
                "Ã©", "â€™", "'s", "'LL", " ", "\n\t", "ﬁ", "İ", "ß", "Σ", "\u0000", "\uFEFF", "12345", "!!!", "<|endoftext|>", "a"};
        Random r = new Random(77);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int it = 0; it < 400; it++) {
                StringBuilder sb = new StringBuilder();
                int len = r.nextInt(8) == 0 ? r.nextInt(20_000) : r.nextInt(200);
                while (sb.length() < len) {
                    switch (r.nextInt(4)) {
                        case 0 -> sb.append(pieces[r.nextInt(pieces.length)]);
                        case 1 -> sb.append((char) r.nextInt(0x10000));
                        case 2 -> sb.appendCodePoint(r.nextInt(0x110000));
                        default -> sb.append(String.valueOf((char) ('a' + r.nextInt(26))).repeat(r.nextInt(60)));
                    }
                }
                String text = sb.toString();
                byte[] bytes = new byte[r.nextInt(300)];
                r.nextBytes(bytes);
                for (ClipTokenizer t : List.of(tok, tok.withFtfy(false))) {
                    assertWellFormed(t.tokenizeUnpadded(text, 77), t.tokenize(text, 77), "text " + it);
                    assertWellFormed(t.tokenizeUnpadded(new String(bytes, StandardCharsets.UTF_8), 77), t.tokenize(bytes, 77), "bytes " + it);
                }
            }
        });
    }

    /** SOT first, EOT last (a literal "<|endoftext|>" in the text is one more, as in OpenAI's tokenizer), then zeros. */
    private static void assertWellFormed(int[] unpadded, int[] padded, String what) {
        assertTrue(unpadded.length >= 2 && unpadded.length <= 77, what + ": " + unpadded.length + " ids");
        assertEquals(tok.startOfText(), unpadded[0], what);
        assertEquals(tok.endOfText(), unpadded[unpadded.length - 1], what);
        for (int id : unpadded) assertTrue(id >= 0 && id < tok.vocabularySize(), what + ": id " + id);
        assertArrayEquals(Arrays.copyOf(unpadded, 77), padded, what + ": padded form");
    }
}
