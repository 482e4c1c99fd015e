package io.flinkclip.model.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.model.TextTokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * OpenAI CLIP's tokenizer ({@code clip/simple_tokenizer.py} + {@code clip.tokenize}) in Java: clean the text
 * (ftfy 6.3 {@code fix_text}, HTML unescaping twice, whitespace collapsing, Python {@code lower()}), pre-tokenise,
 * map UTF-8 bytes to symbols and apply byte-level BPE. Immutable and thread-safe; the BPE cache is concurrent.
 *
 * <p>Factories give a tokenizer with ftfy fixing on, as CLIP runs; {@link #withFtfy(boolean) withFtfy(false)}
 * reproduces CLIP in an environment without ftfy. Known departures from the Python code: lone surrogates become
 * U+FFFD (Python raises); character properties and case mappings come from Java's Unicode tables (Unicode 16 on
 * JDK 25), so characters assigned after that, or whose case mapping is newer than the Python that produced a
 * reference, may tokenize differently.
 */
public final class ClipTokenizer implements TextTokenizer {
    /** Merges OpenAI's tokenizer uses from its 262,146-line file (49152 − 256 − 2). */
    public static final int OPENAI_MERGES = 48_894;
    public static final int DEFAULT_CONTEXT_LENGTH = 77;
    /** Far above any CLIP text encoder's context; guards against allocating absurd padded rows. */
    public static final int MAX_CONTEXT_LENGTH = 1 << 16;

    private final BpeModel bpe;
    private final boolean ftfy;
    private final int sot, eot;

    private ClipTokenizer(BpeModel bpe, boolean ftfy) {
        this.bpe = bpe;
        this.ftfy = ftfy;
        Integer s = bpe.id(PreTokenizer.SOT), e = bpe.id(PreTokenizer.EOT);
        if (s == null || e == null) throw new IllegalArgumentException("vocabulary lacks <|startoftext|> or <|endoftext|>");
        this.sot = s;
        this.eot = e;
    }

    /** Reads OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}. */
    public static ClipTokenizer fromBpeGz(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return fromBpeGz(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPE vocabulary " + file, e);
        }
    }

    /** Reads OpenAI's gzipped merges list (a header line, then merges; the first 48,894 are used); leaves it open. */
    public static ClipTokenizer fromBpeGz(InputStream gz) {
        String text;
        try {
            text = decodeUtf8(new GZIPInputStream(gz).readAllBytes(), "BPE vocabulary");
        } catch (IOException e) {
            throw new IllegalArgumentException("BPE vocabulary is not a readable gzip file: " + e.getMessage(), e);
        }
        String[] lines = text.split("\n", -1);
        if (lines.length < OPENAI_MERGES + 1)
            throw new IllegalArgumentException("BPE vocabulary has " + (lines.length - 1) + " merge lines, need "
                    + OPENAI_MERGES);
        return fromMerges(Arrays.asList(lines).subList(1, OPENAI_MERGES + 1));
    }

    /**
     * Builds OpenAI's vocabulary from a merges list ("left right" per entry): 256 byte symbols, the same with
     * {@code </w>}, one token per merge, then {@code <|startoftext|>} and {@code <|endoftext|>}.
     */
    public static ClipTokenizer fromMerges(List<String> merges) {
        String[] vocab = new String[512 + merges.size() + 2];
        int k = 0;
        for (int b : ByteUnicode.VOCAB_ORDER) vocab[k++] = String.valueOf(ByteUnicode.BYTE_TO_CHAR[b]);
        for (int b : ByteUnicode.VOCAB_ORDER) vocab[k++] = ByteUnicode.BYTE_TO_CHAR[b] + BpeModel.END_OF_WORD;
        for (String m : merges) {
            int sp = m.indexOf(' ');
            if (sp <= 0 || sp == m.length() - 1 || m.indexOf(' ', sp + 1) >= 0)
                throw new IllegalArgumentException("merge " + (k - 511) + " is not two space-separated symbols: '" + m + "'");
            vocab[k++] = m.substring(0, sp) + m.substring(sp + 1);
        }
        vocab[k++] = PreTokenizer.SOT;
        vocab[k] = PreTokenizer.EOT;
        return new ClipTokenizer(new BpeModel(merges, vocab), true);
    }

    /** Reads Hugging Face CLIPTokenizer files: {@code vocab.json} (token → id) and {@code merges.txt}. */
    public static ClipTokenizer fromHuggingFace(Path vocabJson, Path mergesTxt) {
        JsonNode root;
        List<String> merges = new ArrayList<>();
        try {
            root = new ObjectMapper().readTree(vocabJson.toFile());
            String text = decodeUtf8(Files.readAllBytes(mergesTxt), mergesTxt.toString());
            for (String line : text.split("\n")) {
                line = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                if (line.isEmpty() || line.startsWith("#version")) continue;
                merges.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Hugging Face tokenizer files " + vocabJson + ", " + mergesTxt, e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(vocabJson + " is not a JSON object");
        String[] vocab = new String[root.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || !e.getValue().isIntegralNumber())
                throw new IllegalArgumentException(vocabJson + ": id of '" + e.getKey() + "' is not an integer");
            int id = e.getValue().intValue();
            if (id < 0 || id >= vocab.length)
                throw new IllegalArgumentException(vocabJson + ": id " + id + " of '" + e.getKey() + "' is not in [0, "
                        + vocab.length + ")");
            if (vocab[id] != null)
                throw new IllegalArgumentException(vocabJson + ": id " + id + " is used by '" + vocab[id] + "' and '"
                        + e.getKey() + "'");
            vocab[id] = e.getKey();
        }
        return new ClipTokenizer(new BpeModel(merges, vocab), true);
    }

    /** A tokenizer that shares this one's vocabulary and applies (or skips) the ftfy-style fixing step. */
    public ClipTokenizer withFtfy(boolean enabled) {
        return enabled == ftfy ? this : new ClipTokenizer(bpe, enabled);
    }

    public boolean ftfy() { return ftfy; }

    /** The merges in rank order, "left right" each, e.g. for embedding in a model file. */
    public List<String> merges() { return bpe.merges(); }

    /** Token strings by id. */
    public List<String> vocabulary() { return List.of(bpe.vocabulary()); }

    public int vocabularySize() { return bpe.size(); }

    public int startOfText() { return sot; }

    public int endOfText() { return eot; }

    /** BPE ids of the cleaned text, without start/end tokens. */
    public int[] encode(String text) {
        java.util.Objects.requireNonNull(text, "text");
        String clean = TextCleaner.clean(text, ftfy);
        IntList ids = new IntList(clean.length() / 3 + 4);
        for (String piece : PreTokenizer.split(clean)) {
            if (piece.equals(PreTokenizer.SOT)) {
                ids.add(sot);
            } else if (piece.equals(PreTokenizer.EOT)) {
                ids.add(eot);
            } else {
                ids.addAll(bpe.encodeWord(ByteUnicode.encode(piece.getBytes(StandardCharsets.UTF_8))));
            }
        }
        return ids.toArray();
    }

    /** {@code clip.tokenize(text, contextLength, truncate=True)}: SOT, ids, EOT, cut and zero-padded. */
    @Override
    public int[] tokenize(String text, int contextLength) {
        return Arrays.copyOf(tokenizeUnpadded(text, contextLength), contextLength);
    }

    /**
     * Tokenizes UTF-8 bytes; malformed sequences become U+FFFD (what Python's {@code decode("utf-8",
     * "replace")} would give a caller that had to turn bytes into text first).
     */
    public int[] tokenize(byte[] utf8, int contextLength) {
        return tokenize(new String(utf8, StandardCharsets.UTF_8), contextLength);
    }

    /** As {@link #tokenize} without the zero padding: at most {@code contextLength} ids, the last one EOT. */
    public int[] tokenizeUnpadded(String text, int contextLength) {
        if (contextLength < 2 || contextLength > MAX_CONTEXT_LENGTH)
            throw new IllegalArgumentException("context length must be in [2, " + MAX_CONTEXT_LENGTH + "], got " + contextLength);
        int[] ids = encode(text);
        int n = Math.min(ids.length + 2, contextLength);
        int[] out = new int[n];
        out[0] = sot;
        System.arraycopy(ids, 0, out, 1, n - 2);
        out[n - 1] = eot;
        return out;
    }

    /** OpenAI's {@code decode}: ids → bytes → UTF-8 (invalid sequences → U+FFFD), {@code </w>} → space. */
    public String decode(int[] ids) {
        StringBuilder symbols = new StringBuilder();
        for (int id : ids) symbols.append(bpe.token(id));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(symbols.length());
        for (int i = 0; i < symbols.length(); i++) {
            int b = ByteUnicode.byteOf(symbols.charAt(i));
            if (b < 0) throw new IllegalArgumentException("token text contains U+" + Integer.toHexString(symbols.charAt(i))
                    + ", which is not a byte symbol");
            bytes.write(b);
        }
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8).replace(BpeModel.END_OF_WORD, " ");
    }

    private static String decodeUtf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid UTF-8", e);
        }
    }

    /** Growable int array, to avoid boxing on the hot path. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int cap) { a = new int[Math.max(cap, 4)]; }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        void addAll(int[] v) {
            if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(n * 2, n + v.length));
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
