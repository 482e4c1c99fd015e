package io.flinkclip.training.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Image files in a directory with a captions index: TSV lines {@code relative/path<TAB>caption} (a first line
 * {@code image<TAB>caption}/{@code filepath<TAB>title} header is skipped), or JSONL objects with "image" (or "file")
 * and "caption" (or "text"). The index is parsed once when the job is built; images are read lazily.
 */
public final class CaptionedImageFiles implements PairDataset {
    private final String root;
    private final String[] files, captions;

    private CaptionedImageFiles(Path root, List<String> files, List<String> captions) {
        this.root = root.toString();
        this.files = files.toArray(String[]::new);
        this.captions = captions.toArray(String[]::new);
    }

    /** Reads {@code index} (.tsv or .jsonl by extension); image paths are relative to {@code root}. */
    public static CaptionedImageFiles load(Path root, Path index) {
        List<String> f = new ArrayList<>(), c = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(index, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read captions index " + index, e);
        }
        boolean jsonl = index.getFileName().toString().endsWith(".jsonl");
        ObjectMapper json = new ObjectMapper();
        for (int ln = 0; ln < lines.size(); ln++) {
            String line = lines.get(ln).strip();
            if (line.isEmpty()) continue;
            if (jsonl) {
                JsonNode n;
                try {
                    n = json.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(index + " line " + (ln + 1) + ": not JSON: " + e.getMessage());
                }
                JsonNode img = n.has("image") ? n.get("image") : n.get("file");
                JsonNode cap = n.has("caption") ? n.get("caption") : n.get("text");
                if (img == null || cap == null || !img.isTextual() || !cap.isTextual()) {
                    throw new IllegalArgumentException(index + " line " + (ln + 1) + ": needs string fields \"image\" and \"caption\"");
                }
                f.add(img.asText());
                c.add(cap.asText());
            } else {
                int tab = line.indexOf('\t');
                if (tab < 0) throw new IllegalArgumentException(index + " line " + (ln + 1) + ": expected path<TAB>caption");
                String path = line.substring(0, tab), cap = line.substring(tab + 1);
                if (ln == 0 && (path.equals("image") || path.equals("filepath"))) continue;   // header
                f.add(path);
                c.add(cap);
            }
        }
        if (f.isEmpty()) throw new IllegalArgumentException("captions index " + index + " lists no images");
        return new CaptionedImageFiles(root, f, c);
    }

    @Override public long size() { return files.length; }

    @Override
    public RawPair read(long i) {
        Path p = Path.of(root).resolve(files[(int) i]);
        try {
            return RawPair.encoded(Files.readAllBytes(p), captions[(int) i], p.toString());
        } catch (IOException e) {
            // An unreadable file is a bad record, not a job failure: an empty payload is skipped by the decoder.
            return RawPair.encoded(new byte[0], captions[(int) i], p + " (" + e.getMessage() + ")");
        }
    }
}
