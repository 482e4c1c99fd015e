package io.flinkclip.io.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.Progress;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.hf.HfConfig;
import io.flinkclip.io.hf.HfNames;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.Preprocessing;
import io.flinkclip.io.nativefmt.Provenance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/** Reads and writes Hugging Face {@code CLIPModel} directories. */
final class HfDirectory {
    private HfDirectory() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    static NativeModel read(Path dir, Progress progress) {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw new ClipFormatException(dir + ": not a Hugging Face model directory (no config.json)");
        HfConfig hf = HfConfig.read(cfgFile);
        if (!hf.quickGelu())
            throw new ClipFormatException(dir + ": hidden_act is " + hf.textActivation() + "/" + hf.visionActivation()
                    + "; flink-clip runs OpenAI's CLIP, which uses quick_gelu");
        StateDict hfWeights = readWeights(dir, progress);
        StateDict oai = HfNames.toOpenAi(hfWeights);
        ClipConfig inferred = ClipConfig.infer(oai);
        ClipConfig cfg = inferred.withHeads(hf.clip().visionHeads(), hf.clip().textHeads());
        if (!cfg.equals(hf.clip())) throw new ClipFormatException(dir + ": config.json " + hf.clip() + " does not match the weights " + inferred);
        BpeVocab vocab = null;
        Path vj = dir.resolve("vocab.json"), mt = dir.resolve("merges.txt");
        if (Files.isRegularFile(vj) && Files.isRegularFile(mt)) vocab = BpeVocab.readHf(vj, mt, cfg.contextLength());
        return new NativeModel(cfg, oai, readPreprocessing(dir, cfg), vocab, Provenance.now(dir.toString(), "hf-directory"), null);
    }

    private static StateDict readWeights(Path dir, Progress progress) {
        Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(single)) return ModelConverter.readSafeTensors(single, progress);
        if (Files.isRegularFile(index)) { // sharded checkpoints: weight_map name → shard file
            JsonNode map = readJson(index).path("weight_map");
            if (!map.isObject()) throw new ClipFormatException(index + ": no weight_map");
            Set<String> shards = new LinkedHashSet<>();
            map.elements().forEachRemaining(n -> shards.add(n.asText()));
            StateDict all = new StateDict();
            for (String s : shards) {
                Path shard = dir.resolve(s).normalize();
                if (!shard.startsWith(dir.normalize())) throw new ClipFormatException(index + ": shard '" + s + "' lies outside the directory");
                StateDict part = ModelConverter.readSafeTensors(shard, progress);
                all.metadata().putAll(part.metadata());
                for (String name : part.names()) all.putFrom(part, name, name); // still pending
            }
            return all;
        }
        if (Files.isRegularFile(dir.resolve("pytorch_model.bin")))
            throw new ClipFormatException(dir + ": only pytorch_model.bin (a pickle) is present; flink-clip reads model.safetensors");
        throw new ClipFormatException(dir + ": no model.safetensors");
    }

    private static Preprocessing readPreprocessing(Path dir, ClipConfig cfg) {
        Path f = dir.resolve("preprocessor_config.json");
        if (!Files.isRegularFile(f)) return Preprocessing.openAi(cfg.imageResolution());
        JsonNode p = readJson(f);
        JsonNode crop = p.path("crop_size");
        int res = crop.isInt() ? crop.asInt() : crop.path("height").asInt(cfg.imageResolution());
        float[] mean = floats(p.path("image_mean"), Preprocessing.OPENAI_MEAN), std = floats(p.path("image_std"), Preprocessing.OPENAI_STD);
        // PIL resample codes: 0 nearest, 2 bilinear, 3 bicubic
        Preprocessing.Interpolation interp = switch (p.path("resample").asInt(3)) {
            case 0 -> Preprocessing.Interpolation.NEAREST;
            case 2 -> Preprocessing.Interpolation.BILINEAR;
            default -> Preprocessing.Interpolation.BICUBIC;
        };
        return new Preprocessing(res, mean, std, interp);
    }

    private static float[] floats(JsonNode n, float[] dflt) {
        if (!n.isArray()) return dflt;
        float[] out = new float[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) n.get(i).asDouble();
        return out;
    }

    static void write(NativeModel m, Path dir, io.flinkclip.io.DType storage, Progress progress) {
        StateDict hf = HfNames.toHf(ModelConverter.withStorage(m.weights(), storage)); // refuses ResNets with a clear message
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), HfConfig.toJson(m.config()));
            progress.begin("writing " + dir.resolve("model.safetensors"), ModelConverter.bytes(hf));
            SafeTensors.write(dir.resolve("model.safetensors"), withFormatPt(hf));
            progress.advance(ModelConverter.bytes(hf));
            progress.end();
            if (m.vocab() != null) {
                m.vocab().writeHf(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
                Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig(m));
            }
            Preprocessing p = m.preprocessing() != null ? m.preprocessing() : Preprocessing.openAi(m.config().imageResolution());
            Files.writeString(dir.resolve("preprocessor_config.json"), preprocessorConfig(p));
        } catch (IOException e) {
            throw new ClipFormatException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    /** transformers refuses safetensors files whose metadata lacks format=pt. */
    private static StateDict withFormatPt(StateDict sd) {
        sd.metadata().putIfAbsent("format", "pt");
        return sd;
    }

    private static String tokenizerConfig(NativeModel m) throws IOException {
        ObjectNode t = JSON.createObjectNode();
        t.put("tokenizer_class", "CLIPTokenizer");
        t.put("model_max_length", m.vocab().contextLength());
        java.util.List<String> sp = m.vocab().specialTokens();
        if (sp.size() >= 2) {
            t.put("bos_token", sp.get(0));
            t.put("eos_token", sp.get(1));
            t.put("unk_token", sp.get(1));
            t.put("pad_token", sp.get(1));
        }
        t.put("do_lower_case", true);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(t);
    }

    private static String preprocessorConfig(Preprocessing p) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("image_processor_type", "CLIPImageProcessor");
        o.put("do_resize", true);
        o.putObject("size").put("shortest_edge", p.resolution());
        o.put("do_center_crop", true);
        o.putObject("crop_size").put("height", p.resolution()).put("width", p.resolution());
        o.put("do_rescale", true);
        o.put("rescale_factor", 1 / 255.0);
        o.put("do_normalize", true);
        var mean = o.putArray("image_mean");
        for (float v : p.mean()) mean.add(v);
        var std = o.putArray("image_std");
        for (float v : p.std()) std.add(v);
        o.put("resample", switch (p.interpolation()) { case NEAREST -> 0; case BILINEAR -> 2; case BICUBIC -> 3; });
        o.put("do_convert_rgb", true);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    }

    private static JsonNode readJson(Path f) {
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(f));
            if (n == null || !n.isObject()) throw new ClipFormatException(f + ": expected a JSON object");
            return n;
        } catch (IOException e) {
            throw new ClipFormatException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

}
