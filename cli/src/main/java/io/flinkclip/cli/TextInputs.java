package io.flinkclip.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.ClipFormatException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads texts for the CLI: a {@code .json} list of strings, or a text file with one text per line. */
final class TextInputs {
    private TextInputs() {}

    static List<String> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String content;
        try {
            content = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ClipFormatException(file + " is not valid UTF-8");
        }
        if (file.getFileName().toString().endsWith(".json")) {
            JsonNode root = new ObjectMapper().readTree(content);
            if (root == null || !root.isArray()) throw new ClipFormatException(file + " must hold a JSON list of strings");
            List<String> out = new ArrayList<>();
            for (JsonNode n : root) {
                if (!n.isTextual()) throw new ClipFormatException(file + ": element " + out.size() + " is not a string");
                out.add(n.asText());
            }
            return out;
        }
        List<String> lines = new ArrayList<>(List.of(content.split("\n", -1)));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) lines.removeLast();
        lines.replaceAll(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
        return lines;
    }
}
