package io.flinkclip.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.model.ClipLoader;
import io.flinkclip.model.text.ClipTokenizer;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code clip tokenize --vocab FILE --texts FILE [--no-ftfy] [--context N] --out OUT.json}: unpadded id lists. */
final class TokenizeCommand implements ClipCli.Command {
    @Override
    public String summary() { return "tokenize texts with CLIP's BPE (JSON list of id lists)"; }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(argv, 0, Set.of("no-ftfy"), Set.of("vocab", "texts", "no-ftfy", "out", "context"));
        ClipTokenizer tok = ClipLoader.tokenizer(a.path("vocab")).withFtfy(!a.has("no-ftfy"));
        int ctx = a.intValue("context", ClipTokenizer.DEFAULT_CONTEXT_LENGTH);
        List<int[]> rows = new ArrayList<>();
        for (String t : TextInputs.read(a.path("texts"))) rows.add(tok.tokenizeUnpadded(t, ctx));
        Files.write(a.path("out"), new ObjectMapper().writeValueAsBytes(rows));
        System.err.println("tokenized " + rows.size() + " texts");
        return 0;
    }
}
