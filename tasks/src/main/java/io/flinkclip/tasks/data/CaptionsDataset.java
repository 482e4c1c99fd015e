package io.flinkclip.tasks.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Image–caption pairs for retrieval evaluation (Flickr30k/MSCOCO style: several captions per image).
 * Two formats, chosen by extension:
 * <ul>
 *   <li>{@code .tsv}: {@code image-path TAB caption} per line; an optional first line {@code image\tcaption} is a header;</li>
 *   <li>{@code .jsonl}: one object per line with the image under {@code "image"} (or {@code "image_path"},
 *       {@code "file"}, {@code "filepath"}) and the text under {@code "caption"} (or {@code "text"}).</li>
 * </ul>
 * Relative image paths are resolved against the captions file's folder. Lines with the same image path share
 * one image; images keep the order of first appearance.
 */
public final class CaptionsDataset {
    private static final String[] IMAGE_KEYS = {"image", "image_path", "file", "filepath"};
    private static final String[] TEXT_KEYS = {"caption", "text"};

    private final String name;
    private final List<Path> images;
    private final List<String> captions;
    private final int[] imageOfCaption;

    private CaptionsDataset(String name, List<Path> images, List<String> captions, int[] imageOfCaption) {
        this.name = name;
        this.images = List.copyOf(images);
        this.captions = List.copyOf(captions);
        this.imageOfCaption = imageOfCaption;
    }

    public static CaptionsDataset load(Path file) throws IOException {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean jsonl = n.endsWith(".jsonl") || n.endsWith(".json");
        if (!jsonl && !n.endsWith(".tsv")) throw new IOException("captions file " + file + " must end in .tsv or .jsonl");
        Path base = file.toAbsolutePath().getParent();
        Map<Path, Integer> imageIds = new LinkedHashMap<>();
        List<String> captions = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                String image, text;
                if (jsonl) {
                    JsonNode node;
                    try {
                        node = json.readTree(line);
                    } catch (JsonProcessingException e) {
                        throw new IOException(file + ":" + lineNo + ": not valid JSON: " + e.getOriginalMessage());
                    }
                    image = field(node, IMAGE_KEYS, file, lineNo);
                    text = field(node, TEXT_KEYS, file, lineNo);
                } else {
                    int tab = line.indexOf('\t');
                    if (tab < 0) throw new IOException(file + ":" + lineNo + ": expected 'image-path<TAB>caption'");
                    image = line.substring(0, tab).trim();
                    text = line.substring(tab + 1).trim();
                    if (lineNo == 1 && image.equalsIgnoreCase("image") && text.equalsIgnoreCase("caption")) continue;
                    if (image.isEmpty()) throw new IOException(file + ":" + lineNo + ": empty image path");
                }
                Path p = base.resolve(image).normalize();
                Integer id = imageIds.get(p);
                if (id == null) {
                    id = imageIds.size();
                    imageIds.put(p, id);
                }
                captions.add(text);
                owners.add(id);
            }
        }
        if (captions.isEmpty()) throw new IOException("captions file " + file + " has no captions");
        return new CaptionsDataset(file.getFileName().toString(), new ArrayList<>(imageIds.keySet()), captions, owners.stream().mapToInt(Integer::intValue).toArray());
    }

    private static String field(JsonNode node, String[] keys, Path file, int lineNo) throws IOException {
        if (!node.isObject()) throw new IOException(file + ":" + lineNo + ": expected a JSON object");
        for (String k : keys) {
            JsonNode v = node.get(k);
            if (v != null && v.isTextual() && !v.asText().isBlank()) return v.asText();
        }
        throw new IOException(file + ":" + lineNo + ": no non-empty string field " + String.join("/", keys));
    }

    public String name() { return name; }

    /** Distinct images in order of first appearance. */
    public List<Path> images() { return images; }

    public List<String> captions() { return captions; }

    /** For each caption, the index of its image in {@link #images()}. */
    public int[] imageOfCaption() { return imageOfCaption.clone(); }

    public byte[] imageBytes(int i) {
        try {
            return Files.readAllBytes(images.get(i));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + images.get(i), e);
        }
    }
}
