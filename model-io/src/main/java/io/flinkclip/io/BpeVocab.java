package io.flinkclip.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A byte-level BPE vocabulary as CLIP uses it, held as its merges. The token list is derived, exactly as in
 * OpenAI's {@code simple_tokenizer}: the 256 byte symbols of {@code bytes_to_unicode()} in its order, the same
 * 256 with "&lt;/w&gt;", one token per merge (its two halves joined), then the special tokens.
 */
public record BpeVocab(List<String> merges, List<String> specialTokens, int contextLength) {
    public static final List<String> OPENAI_SPECIALS = List.of("<|startoftext|>", "<|endoftext|>");
    /** OpenAI uses the first 49152 − 256 − 2 merges of its file. */
    public static final int OPENAI_MERGES = 49152 - 256 - 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Cap on merges files (the real one is 1.3 MB); protects against reading a wrong, huge file. */
    private static final long MAX_BYTES = 64L << 20;

    public BpeVocab {
        merges = List.copyOf(merges);
        specialTokens = List.copyOf(specialTokens);
        for (String m : merges) {
            int sp = m.indexOf(' ');
            if (sp <= 0 || sp == m.length() - 1 || m.indexOf(' ', sp + 1) >= 0)
                throw new ClipFormatException("malformed BPE merge '" + m + "': expected two symbols separated by one space");
        }
    }

    @Override
    public String toString() { // the default would print all ~49k merges
        return "BpeVocab[" + merges.size() + " merges, specials " + specialTokens + ", context " + contextLength + "]";
    }

    public int vocabSize() { return 512 + merges.size() + specialTokens.size(); }

    /** The token strings in id order. */
    public List<String> tokens() {
        List<String> out = new ArrayList<>(vocabSize());
        List<String> bytes = byteSymbols();
        out.addAll(bytes);
        for (String b : bytes) out.add(b + "</w>");
        for (String m : merges) out.add(m.replace(" ", ""));
        out.addAll(specialTokens);
        return out;
    }

    /** {@code bytes_to_unicode()}: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards. */
    public static List<String> byteSymbols() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bs.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
        List<String> symbols = new ArrayList<>(256);
        for (int b : bs) symbols.add(Character.toString(b));
        int n = 0;
        for (int b = 0; b < 256; b++) if (!bs.contains(b)) symbols.add(Character.toString(256 + n++));
        return symbols;
    }

    /** OpenAI's {@code bpe_simple_vocab_16e6.txt.gz} (or the same text uncompressed). */
    public static BpeVocab readOpenAi(Path file) {
        String text = readText(file);
        String[] lines = text.split("\n", -1);
        if (lines.length < OPENAI_MERGES + 1) throw new ClipFormatException(file + ": has " + (lines.length - 1) + " merges, OpenAI's vocabulary needs " + OPENAI_MERGES);
        List<String> merges = new ArrayList<>(OPENAI_MERGES);
        for (int i = 1; i <= OPENAI_MERGES; i++) merges.add(lines[i]);
        return new BpeVocab(merges, OPENAI_SPECIALS, 77);
    }

    /**
     * A Hugging Face {@code vocab.json} + {@code merges.txt}. The vocabulary must be the derived one, since only
     * merges are stored; anything else is rejected rather than silently renumbered.
     */
    public static BpeVocab readHf(Path vocabJson, Path mergesTxt, int contextLength) {
        List<String> merges = new ArrayList<>();
        for (String line : readText(mergesTxt).split("\n")) {
            if (line.startsWith("#version") || line.isBlank()) continue;
            merges.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }
        JsonNode vocab;
        try {
            vocab = JSON.readTree(readText(vocabJson));
        } catch (IOException e) {
            throw new ClipFormatException(vocabJson + ": not valid JSON: " + e.getMessage(), e);
        }
        if (vocab == null || !vocab.isObject()) throw new ClipFormatException(vocabJson + ": expected a JSON object token → id");
        List<String> specials = new ArrayList<>();
        int base = 512 + merges.size();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id >= base) {
                while (specials.size() <= id - base) specials.add(null);
                specials.set(id - base, e.getKey());
            }
        }
        if (specials.contains(null)) throw new ClipFormatException(vocabJson + ": ids above the merges are not contiguous");
        BpeVocab v = new BpeVocab(merges, specials, contextLength);
        List<String> tokens = v.tokens();
        if (vocab.size() != tokens.size()) throw new ClipFormatException(vocabJson + ": " + vocab.size() + " tokens, but " + mergesTxt + " implies " + tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            if (vocab.path(tokens.get(i)).asInt(-1) != i)
                throw new ClipFormatException(vocabJson + ": token '" + tokens.get(i) + "' should have id " + i + " (byte-level BPE layout of OpenAI's tokenizer)");
        }
        return v;
    }

    public void writeHf(Path vocabJson, Path mergesTxt) throws IOException {
        ObjectNode vocab = JSON.createObjectNode();
        List<String> tokens = tokens();
        for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
        Files.write(vocabJson, JSON.writeValueAsBytes(vocab));
        StringBuilder sb = new StringBuilder("#version: 0.2\n");
        for (String m : merges) sb.append(m).append('\n');
        Files.writeString(mergesTxt, sb, StandardCharsets.UTF_8);
    }

    private static String readText(Path file) {
        try (InputStream raw = Files.newInputStream(file)) {
            InputStream in = raw;
            byte[] head = raw.readNBytes(2);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            if (head.length == 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
                in = new GZIPInputStream(new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(head), raw));
            } else {
                all.write(head);
            }
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                all.write(buf, 0, n);
                if (all.size() > MAX_BYTES) throw new ClipFormatException(file + ": larger than " + MAX_BYTES + " bytes, not a vocabulary file");
            }
            return all.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ClipFormatException("cannot read vocabulary " + file + ": " + e.getMessage(), e);
        }
    }
}
