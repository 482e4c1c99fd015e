package io.flinkclip.cli;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.flinkclip.cli.ClipCliTest.VOCAB;
import static io.flinkclip.cli.ClipCliTest.images;
import static io.flinkclip.cli.ClipCliTest.ref;
import static org.junit.jupiter.api.Assertions.*;

/** `clip convert` round trips give bit-identical `clip embed` outputs from every format; `clip eval` runs end to end. */
class ConvertAndEvalCliTest {
    @TempDir Path tmp;

    private StateDict embed(String weights, boolean withVocab, Path texts) throws Exception {
        Path out = tmp.resolve("e" + System.nanoTime() + ".safetensors");
        List<String> argv = new ArrayList<>(List.of("embed", "--weights", weights, "--text-heads", "2", "--no-ftfy", "--texts", texts.toString(),
                "--out", out.toString(), "--images"));
        if (withVocab) argv.addAll(1, List.of("--vocab", VOCAB.toString()));
        argv.addAll(images("tiny-vit").subList(0, 4));
        assertEquals(0, ClipCli.run(argv.toArray(String[]::new)));
        return SafeTensors.read(out);
    }

    @Test
    void everyFormatGivesIdenticalEmbeddings() throws Exception {
        Path texts = tmp.resolve("t.txt");
        Files.writeString(texts, "a photo of a cat\na diagram\nHello, world!\n");
        String weights = ref("tiny-vit").resolve("weights.safetensors").toString();
        StateDict base = embed(weights, true, texts);
        Path nat = tmp.resolve("tiny.fclip"), hf = tmp.resolve("tiny-hf"), back = tmp.resolve("back.safetensors");
        assertEquals(0, ClipCli.run(new String[] {"convert", "--in", weights, "--vocab", VOCAB.toString(), "--out", nat.toString()}));
        assertEquals(0, ClipCli.run(new String[] {"convert", "--in", nat.toString(), "--out", hf.toString(), "--to", "hf"}));
        assertEquals(0, ClipCli.run(new String[] {"convert", "--in", hf.toString(), "--out", back.toString(), "--to", "openai"}));
        for (StateDict other : List.of(embed(nat.toString(), false, texts), embed(hf.toString(), false, texts), embed(back.toString(), true, texts))) {
            for (String k : base.names()) assertArrayEquals(base.get(k).data(), other.get(k).data(), k);
        }
        // the round trip back to OpenAI names is bit-identical tensor by tensor
        StateDict a = SafeTensors.read(Path.of(weights)), b = SafeTensors.read(back);
        for (String k : a.names()) {
            if (a.get(k).isFloat()) assertArrayEquals(a.get(k).data(), b.get(k).data(), k);
        }
    }

    @Test
    void zeroShotEvalOnAnImageFolder() throws Exception {
        Path root = tmp.resolve("folder");
        List<String> imgs = images("tiny-vit");
        for (int i = 0; i < 6; i++) {
            Path dir = Files.createDirectories(root.resolve(i % 2 == 0 ? "cat" : "diagram"));
            Files.copy(Path.of(imgs.get(i)), dir.resolve(i + ".png"));
        }
        Path png = tmp.resolve("cm.png");
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(0, ClipCli.run(new String[] {"eval", "zeroshot", "--weights", ref("tiny-vit").resolve("weights.safetensors").toString(),
                    "--vocab", VOCAB.toString(), "--text-heads", "2", "--image-folder", root.toString(), "--confusion", png.toString()}));
        } finally {
            System.setOut(saved);
        }
        String report = buf.toString();
        assertTrue(report.toLowerCase().contains("top-1"), report);
        assertTrue(Files.size(png) > 100);
        assertEquals(2, ClipCli.run(new String[] {"eval", "bogus", "--weights", "x"}));
    }
}
