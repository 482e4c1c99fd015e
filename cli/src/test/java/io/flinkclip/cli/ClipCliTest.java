package io.flinkclip.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The CLI contract end to end against the PyTorch reference: files in, files out, compared with
 * ../shared/reference at the tolerances of its README. The reference tokenised model texts with ftfy
 * disabled (an identity shim), hence --no-ftfy here.
 */
class ClipCliTest {
    static final Path SHARED = Path.of(System.getProperty("clip.shared.dir", "../shared"));
    static final Path VOCAB = SHARED.resolve("vocab/bpe_simple_vocab_16e6.txt.gz");
    @TempDir Path tmp;

    static Path ref(String config) { return SHARED.resolve("reference").resolve(config); }

    static JsonNode expectedJson(String config) throws Exception {
        return new ObjectMapper().readTree(ref(config).resolve("expected.json").toFile());
    }

    static List<String> images(String config) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode i : expectedJson(config).get("images")) out.add(ref(config).resolve(i.get("file").asText()).toString());
        return out;
    }

    Path modelTexts(String config, int limit) throws Exception {
        JsonNode texts = new ObjectMapper().readTree(ref(config).resolve("texts.json").toFile()).get("model_texts");
        List<String> list = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, texts.size()); i++) list.add(texts.get(i).asText());
        Path p = tmp.resolve("texts.json");
        new ObjectMapper().writeValue(p.toFile(), list);
        return p;
    }

    static int textHeads(String config) throws Exception { return expectedJson(config).get("hparams").get("transformer_heads").asInt(); }

    static void assertClose(Tensor expected, Tensor actual, double relTol) {
        assertArrayEquals(expected.shape(), actual.shape(), expected.name());
        float max = 0;
        for (float v : expected.data()) max = Math.max(max, Math.abs(v));
        float worst = 0;
        for (int i = 0; i < expected.data().length; i++) worst = Math.max(worst, Math.abs(expected.data()[i] - actual.data()[i]));
        assertTrue(worst <= relTol * max, expected.name() + ": max|Δ| " + worst + " > " + relTol + "·" + max);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void preprocessMatchesReferenceExactly(String config) throws Exception {
        StateDict exp = SafeTensors.read(ref(config).resolve("expected.safetensors"));
        int r = expectedJson(config).get("image_resolution").asInt();
        Path out = tmp.resolve("px.safetensors");
        List<String> argv = new ArrayList<>(List.of("preprocess", "--resolution", "" + r, "--out", out.toString(), "--images"));
        argv.addAll(images(config));
        assertEquals(0, ClipCli.run(argv.toArray(String[]::new)));
        StateDict got = SafeTensors.read(out);
        assertArrayEquals(exp.get("pixels_u8").longs(), got.get("pixels_u8").longs());
        float[] e = exp.get("pixels").data(), g = got.get("pixels").data();
        for (int i = 0; i < e.length; i++) assertEquals(e[i], g[i], 1e-6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void embedFromImageFilesAndTextsMatchesReference(String config) throws Exception {
        StateDict exp = SafeTensors.read(ref(config).resolve("expected.safetensors"));
        Path out = tmp.resolve("emb.safetensors");
        List<String> argv = new ArrayList<>(List.of("embed", "--weights", ref(config).resolve("weights.safetensors").toString(),
                "--vocab", VOCAB.toString(), "--no-ftfy", "--text-heads", "" + textHeads(config), "--texts", modelTexts(config, 1000).toString(),
                "--out", out.toString(), "--images"));
        argv.addAll(images(config));
        assertEquals(0, ClipCli.run(argv.toArray(String[]::new)));
        StateDict got = SafeTensors.read(out);
        for (String k : List.of("image_embeds", "text_embeds", "logits_per_image", "logits_per_text")) assertClose(exp.get(k), got.get(k), 1e-4);
    }

    @Test
    void embedOnTheOpenClDeviceMatchesReference() throws Exception {
        String config = "tiny-rn-perturbed";
        StateDict exp = SafeTensors.read(ref(config).resolve("expected.safetensors"));
        Path out = tmp.resolve("emb.safetensors");
        assertEquals(0, ClipCli.run(new String[] {"embed", "--device", "opencl:0:0", "--weights", ref(config).resolve("weights.safetensors").toString(),
                "--vocab", VOCAB.toString(), "--no-ftfy", "--text-heads", "" + textHeads(config), "--texts", modelTexts(config, 1000).toString(),
                "--pixels", ref(config).resolve("expected.safetensors").toString(), "--out", out.toString()}));
        StateDict got = SafeTensors.read(out);
        for (String k : List.of("image_embeds", "text_embeds", "logits_per_image")) assertClose(exp.get(k), got.get(k), 1e-4);
        assertEquals(1, ClipCli.run(new String[] {"embed", "--device", "tpu", "--weights", ref(config).resolve("weights.safetensors").toString(),
                "--pixels", ref(config).resolve("expected.safetensors").toString(), "--out", out.toString()}));
    }

    @Test
    void embedFromPixelsFile() throws Exception {
        String config = "tiny-vit";
        Path out = tmp.resolve("emb.safetensors");
        assertEquals(0, ClipCli.run(new String[] {"embed", "--weights", ref(config).resolve("weights.safetensors").toString(),
                "--pixels", ref(config).resolve("expected.safetensors").toString(), "--out", out.toString()}));
        assertClose(SafeTensors.read(ref(config).resolve("expected.safetensors")).get("image_embeds"), SafeTensors.read(out).get("image_embeds"), 1e-4);
    }

    @Test
    void gradMatchesReferenceLossAndGradients() throws Exception {
        String config = "tiny-vit";
        JsonNode train = expectedJson(config).get("train");
        List<String> imgs = images(config);
        Path out = tmp.resolve("grad.safetensors");
        List<String> argv = new ArrayList<>(List.of("grad", "--weights", ref(config).resolve("weights.safetensors").toString(),
                "--vocab", VOCAB.toString(), "--no-ftfy", "--text-heads", "" + textHeads(config),
                "--texts", modelTexts(config, train.get("n").asInt()).toString(), "--out", out.toString(), "--images"));
        for (JsonNode i : train.get("image_index")) argv.add(imgs.get(i.asInt()));
        assertEquals(0, ClipCli.run(argv.toArray(String[]::new)));
        StateDict got = SafeTensors.read(out), exp = SafeTensors.read(ref(config).resolve("expected.safetensors"));
        assertEquals(exp.get("train.loss").scalar(), got.get("loss").scalar(), 1e-5 * Math.abs(exp.get("train.loss").scalar()));
        double g = 0;
        for (String n : exp.names()) if (n.startsWith("grad.")) for (float v : exp.get(n).data()) g = Math.max(g, Math.abs(v));
        int checked = 0;
        for (String n : exp.names()) {
            if (!n.startsWith("grad.")) continue;
            Tensor e = exp.get(n), a = got.get(n);
            float max = 0, worst = 0;
            for (float v : e.data()) max = Math.max(max, Math.abs(v));
            for (int i = 0; i < e.data().length; i++) worst = Math.max(worst, Math.abs(e.data()[i] - a.data()[i]));
            assertTrue(worst <= 1e-3 * max + 1e-4 * g, n + ": " + worst);
            checked++;
        }
        assertTrue(checked > 50, "only " + checked + " gradients compared");
    }

    @Test
    void tokenizeWritesUnpaddedIdsLikeTheReference() throws Exception {
        Path out = tmp.resolve("tok.json");
        assertEquals(0, ClipCli.run(new String[] {"tokenize", "--vocab", VOCAB.toString(), "--no-ftfy", "--texts",
                modelTexts("tiny-vit", 1000).toString(), "--out", out.toString()}));
        JsonNode got = new ObjectMapper().readTree(out.toFile());
        Tensor tokens = SafeTensors.read(ref("tiny-vit").resolve("expected.safetensors")).get("tokens");
        assertEquals(tokens.dim(0), got.size());
        for (int r = 0; r < got.size(); r++) {
            JsonNode row = got.get(r);
            for (int c = 0; c < 77; c++) assertEquals(tokens.longs()[r * 77 + c], c < row.size() ? row.get(c).asLong() : 0L, "text " + r + " position " + c);
        }
    }

    @Test
    void initWritesWeightsWhoseShapesGiveTheArchitectureBack() throws Exception {
        Path out = tmp.resolve("rn50.safetensors");
        assertEquals(0, ClipCli.run(new String[] {"init", "--arch", "RN50", "--out", out.toString(), "--dtype", "bf16"}));
        StateDict sd = SafeTensors.read(out);
        assertEquals(io.flinkclip.io.arch.ClipArchitectures.get("RN50"), ClipConfig.infer(sd));
        assertEquals("BF16", sd.get("visual.conv1.weight").storedAs().name());
    }

    @Test
    void classifyPrintsTopLabelsPerImage() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            List<String> imgs = images("tiny-vit");
            assertEquals(0, ClipCli.run(new String[] {"classify", "--weights", ref("tiny-vit").resolve("weights.safetensors").toString(),
                    "--vocab", VOCAB.toString(), "--text-heads", "2", "--labels", "cat,dog,diagram", "--top", "2", imgs.get(0), imgs.get(1)}));
        } finally {
            System.setOut(saved);
        }
        String[] lines = buf.toString().trim().split("\n");
        assertEquals(2, lines.length);
        for (String l : lines) {
            String[] f = l.split("\t");
            assertEquals(3, f.length, l);
            double p1 = Double.parseDouble(f[1].split("=")[1]), p2 = Double.parseDouble(f[2].split("=")[1]);
            assertTrue(p1 >= p2 && p1 <= 1 && p2 >= 0, l);
        }
    }

    @Test
    void badInputIsOneErrorLineAndANonZeroExit() throws Exception {
        Path corrupt = tmp.resolve("bad.png");
        Files.write(corrupt, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0});
        assertEquals(1, ClipCli.run(new String[] {"preprocess", "--images", corrupt.toString(), "--out", tmp.resolve("x").toString()}));
        assertEquals(2, ClipCli.run(new String[] {"preprocess", "--imagez", "x"}));
        assertEquals(2, ClipCli.run(new String[] {"frobnicate"}));
        Path truncated = tmp.resolve("w.safetensors");
        byte[] w = Files.readAllBytes(ref("tiny-vit").resolve("weights.safetensors"));
        Files.write(truncated, java.util.Arrays.copyOf(w, w.length / 2));
        assertEquals(1, ClipCli.run(new String[] {"embed", "--weights", truncated.toString(), "--pixels", "p", "--out", tmp.resolve("o").toString()}));
        assertEquals(1, ClipCli.run(new String[] {"embed", "--weights", tmp.resolve("missing").toString(), "--pixels", "p", "--out", "o"}));
    }
}
