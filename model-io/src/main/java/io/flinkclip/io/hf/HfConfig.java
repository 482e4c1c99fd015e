package io.flinkclip.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face {@code CLIPModel} {@code config.json}, reduced to what flink-clip runs. Head counts come from
 * the file (they cannot be seen in weight shapes). Missing fields take the defaults of transformers'
 * {@code CLIPTextConfig}/{@code CLIPVisionConfig}, because recent transformers write only non-default values.
 *
 * @param textActivation   {@code hidden_act} of the text tower ("quick_gelu" for OpenAI's models)
 * @param visionActivation {@code hidden_act} of the vision tower
 */
public record HfConfig(ClipConfig clip, String textActivation, String visionActivation, double layerNormEps, double logitScaleInit) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** ln(1/0.07) as HF writes it. */
    public static final double DEFAULT_LOGIT_SCALE_INIT = 2.6592;

    /** True when both towers use QuickGELU, the only activation of OpenAI's CLIP. */
    public boolean quickGelu() { return "quick_gelu".equals(textActivation) && "quick_gelu".equals(visionActivation); }

    public static HfConfig read(Path file) {
        try {
            return parse(JSON.readTree(Files.readAllBytes(file)), file.toString());
        } catch (IOException e) {
            throw new ClipFormatException("cannot read Hugging Face config " + file + ": " + e.getMessage(), e);
        }
    }

    public static HfConfig parse(String json) {
        try {
            return parse(JSON.readTree(json), "config.json");
        } catch (IOException e) {
            throw new ClipFormatException("config.json is not valid JSON: " + e.getMessage(), e);
        }
    }

    static HfConfig parse(JsonNode root, String what) {
        if (root == null || !root.isObject()) throw new ClipFormatException(what + ": not a JSON object");
        String type = root.path("model_type").asText("clip");
        if (!type.equals("clip")) throw new ClipFormatException(what + ": model_type '" + type + "' is not a CLIP model");
        // configs written by transformers < 4.27 may carry the towers only as *_config_dict
        JsonNode text = root.has("text_config") ? root.path("text_config") : root.path("text_config_dict");
        JsonNode vision = root.has("vision_config") ? root.path("vision_config") : root.path("vision_config_dict");
        int tWidth = integer(text, "hidden_size", 512, what);
        int tHeads = integer(text, "num_attention_heads", 8, what);
        int tLayers = integer(text, "num_hidden_layers", 12, what);
        int ctx = integer(text, "max_position_embeddings", 77, what);
        int vocab = integer(text, "vocab_size", 49408, what);
        int tInter = integer(text, "intermediate_size", 2048, what);
        int vWidth = integer(vision, "hidden_size", 768, what);
        int vHeads = integer(vision, "num_attention_heads", 12, what);
        int vLayers = integer(vision, "num_hidden_layers", 12, what);
        int patch = integer(vision, "patch_size", 32, what);
        int res = integer(vision, "image_size", 224, what);
        int vInter = integer(vision, "intermediate_size", 3072, what);
        int channels = integer(vision, "num_channels", 3, what);
        int embed = integer(root, "projection_dim", 512, what);
        if (tWidth % tHeads != 0 || vWidth % vHeads != 0) throw new ClipFormatException(what + ": hidden_size is not a multiple of num_attention_heads");
        if (tInter != 4 * tWidth || vInter != 4 * vWidth)
            throw new ClipFormatException(what + ": intermediate_size must be 4 × hidden_size as in OpenAI's CLIP (text " + tInter + " vs " + tWidth + ", vision " + vInter + " vs " + vWidth + ")");
        if (channels != 3) throw new ClipFormatException(what + ": num_channels " + channels + " (only RGB models are supported)");
        if (res % patch != 0) throw new ClipFormatException(what + ": image_size " + res + " is not a multiple of patch_size " + patch);
        ClipConfig cfg = new ClipConfig(embed, res, new int[] {vLayers}, vWidth, patch, vHeads, ctx, vocab, tWidth, tHeads, tLayers);
        return new HfConfig(cfg, text.path("hidden_act").asText("quick_gelu"), vision.path("hidden_act").asText("quick_gelu"),
                text.path("layer_norm_eps").asDouble(1e-5), root.path("logit_scale_init_value").asDouble(DEFAULT_LOGIT_SCALE_INIT));
    }

    private static int integer(JsonNode parent, String field, int dflt, String what) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0)
            throw new ClipFormatException(what + ": '" + field + "' must be a positive integer, got " + n);
        return n.asInt();
    }

    /** A complete config.json (all fields written, so no reader depends on transformers' defaults). */
    public static String toJson(ClipConfig c) {
        if (c.isResNet()) throw new ClipFormatException("Hugging Face transformers has no ResNet CLIP: cannot write config.json for " + c);
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("CLIPModel");
        root.put("model_type", "clip");
        root.put("projection_dim", c.embedDim());
        root.put("logit_scale_init_value", DEFAULT_LOGIT_SCALE_INIT);
        root.put("initializer_factor", 1.0);
        root.put("torch_dtype", "float32");
        ObjectNode t = root.putObject("text_config");
        t.put("model_type", "clip_text_model");
        t.put("hidden_size", c.textWidth());
        t.put("intermediate_size", 4 * c.textWidth());
        t.put("num_attention_heads", c.textHeads());
        t.put("num_hidden_layers", c.textLayers());
        t.put("max_position_embeddings", c.contextLength());
        t.put("vocab_size", c.vocabSize());
        t.put("projection_dim", c.embedDim());
        t.put("hidden_act", "quick_gelu");
        t.put("layer_norm_eps", 1e-5);
        // Real ids of <|startoftext|>/<|endoftext|> (OpenAI's tokenizer); HF pools text at eos_token_id.
        t.put("bos_token_id", c.vocabSize() - 2);
        t.put("eos_token_id", c.vocabSize() - 1);
        t.put("pad_token_id", 1);
        ObjectNode v = root.putObject("vision_config");
        v.put("model_type", "clip_vision_model");
        v.put("hidden_size", c.visionWidth());
        v.put("intermediate_size", 4 * c.visionWidth());
        v.put("num_attention_heads", c.visionHeads());
        v.put("num_hidden_layers", c.visionLayers()[0]);
        v.put("image_size", c.imageResolution());
        v.put("patch_size", c.visionPatchSize());
        v.put("num_channels", 3);
        v.put("projection_dim", c.embedDim());
        v.put("hidden_act", "quick_gelu");
        v.put("layer_norm_eps", 1e-5);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
