package io.flinkclip.io.hf;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Renames between OpenAI's CLIP state-dict keys and Hugging Face's {@code CLIPModel} keys. Both hold the same
 * numbers: HF splits each {@code in_proj_weight/bias} into q/k/v projections (rows [0,d), [d,2d), [2d,3d)) and
 * stores the two output projections as {@code nn.Linear} weights, i.e. transposed. Values are moved, never
 * recomputed, so a round trip is bit-exact. HF has no modified-ResNet CLIP, so only ViT models convert.
 */
public final class HfNames {
    private HfNames() {}

    /** OpenAI name → HF name for tensors that are only renamed. */
    private static final Map<String, String> PLAIN = new LinkedHashMap<>();
    static {
        PLAIN.put("token_embedding.weight", "text_model.embeddings.token_embedding.weight");
        PLAIN.put("positional_embedding", "text_model.embeddings.position_embedding.weight");
        PLAIN.put("ln_final.weight", "text_model.final_layer_norm.weight");
        PLAIN.put("ln_final.bias", "text_model.final_layer_norm.bias");
        PLAIN.put("visual.class_embedding", "vision_model.embeddings.class_embedding");
        PLAIN.put("visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight");
        PLAIN.put("visual.positional_embedding", "vision_model.embeddings.position_embedding.weight");
        PLAIN.put("visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"); // sic: HF's spelling
        PLAIN.put("visual.ln_pre.bias", "vision_model.pre_layrnorm.bias");
        PLAIN.put("visual.ln_post.weight", "vision_model.post_layernorm.weight");
        PLAIN.put("visual.ln_post.bias", "vision_model.post_layernorm.bias");
        PLAIN.put("logit_scale", "logit_scale");
        PLAIN.put("logit_bias", "logit_bias");
    }
    /** OpenAI 2-D tensors used as x @ P; HF keeps them as Linear weights [out, in]. */
    private static final Map<String, String> TRANSPOSED = Map.of(
            "visual.proj", "visual_projection.weight",
            "text_projection", "text_projection.weight");
    /** Block-local renames (OpenAI suffix → HF suffix), besides the q/k/v split. */
    private static final Map<String, String> BLOCK = new LinkedHashMap<>();
    static {
        BLOCK.put("attn.out_proj.weight", "self_attn.out_proj.weight");
        BLOCK.put("attn.out_proj.bias", "self_attn.out_proj.bias");
        BLOCK.put("ln_1.weight", "layer_norm1.weight");
        BLOCK.put("ln_1.bias", "layer_norm1.bias");
        BLOCK.put("mlp.c_fc.weight", "mlp.fc1.weight");
        BLOCK.put("mlp.c_fc.bias", "mlp.fc1.bias");
        BLOCK.put("mlp.c_proj.weight", "mlp.fc2.weight");
        BLOCK.put("mlp.c_proj.bias", "mlp.fc2.bias");
        BLOCK.put("ln_2.weight", "layer_norm2.weight");
        BLOCK.put("ln_2.bias", "layer_norm2.bias");
    }
    private static final String OAI_TEXT = "transformer.resblocks.", OAI_VISION = "visual.transformer.resblocks.";
    private static final String HF_TEXT = "text_model.encoder.layers.", HF_VISION = "vision_model.encoder.layers.";

    /**
     * Converts an OpenAI-named ViT CLIP state dict to HF {@code CLIPModel} names (in HF's module order). As
     * {@link #toOpenAi}, names and shapes are checked now and values move when asked for.
     */
    public static StateDict toHf(StateDict oai) {
        if (!oai.has("visual.proj")) {
            if (oai.names().stream().anyMatch(k -> k.startsWith("visual.layer1.") || k.startsWith("visual.attnpool.")))
                throw new ClipFormatException("Hugging Face transformers has no ResNet CLIP (CLIPModel is ViT-only): "
                        + "a modified-ResNet model cannot be written with HF names; use the native or OpenAI safetensors format");
            throw new ClipFormatException("not an OpenAI-named ViT CLIP state dict: visual.proj is missing");
        }
        Map<String, Consumer<StateDict>> out = new LinkedHashMap<>();
        for (String k : oai.names()) {
            if (PLAIN.containsKey(k)) addRenamed(out, oai, k, PLAIN.get(k));
            else if (TRANSPOSED.containsKey(k)) addTransposed(out, oai, k, TRANSPOSED.get(k));
            else if (k.startsWith(OAI_VISION)) blockToHf(out, oai, k, OAI_VISION, HF_VISION);
            else if (k.startsWith(OAI_TEXT)) blockToHf(out, oai, k, OAI_TEXT, HF_TEXT);
            else throw new ClipFormatException("tensor '" + k + "' has no Hugging Face CLIPModel counterpart");
        }
        StateDict sd = new StateDict();
        sd.metadata().putAll(oai.metadata());
        out.keySet().stream().sorted(java.util.Comparator.comparingInt(HfNames::hfRank).thenComparing(HfNames::blockKey))
                .forEach(k -> out.get(k).accept(sd));
        return sd;
    }

    private static void blockToHf(Map<String, Consumer<StateDict>> out, StateDict oai, String k, String from, String to) {
        String rest = k.substring(from.length());
        int dot = rest.indexOf('.');
        if (dot <= 0) throw new ClipFormatException("malformed block key '" + k + "'");
        String prefix = to + rest.substring(0, dot) + ".";
        String sub = rest.substring(dot + 1);
        switch (sub) {
            case "attn.in_proj_weight", "attn.in_proj_bias" -> {
                String kind = sub.endsWith("weight") ? "weight" : "bias";
                int[] shape = oai.shape(k);
                if (shape.length < 1 || shape[0] % 3 != 0 || !oai.storedAs(k).isFloat())
                    throw new ClipFormatException(k + " " + oai.storedAs(k) + Arrays.toString(shape) + ": first dimension is not 3·width of floats");
                int d = shape[0] / 3;
                int[] part = shape.clone();
                part[0] = d;
                String[] parts = {"q", "k", "v"};
                for (int i = 0; i < 3; i++) {
                    String name = prefix + "self_attn." + parts[i] + "_proj." + kind;
                    int from0 = i * d;
                    add(out, name, sd -> sd.putPending(name, oai.storedAs(k), part, () -> rows(oai.peek(k), from0, d, name)));
                }
            }
            default -> {
                String hf = BLOCK.get(sub);
                if (hf == null) throw new ClipFormatException("tensor '" + k + "' has no Hugging Face CLIPModel counterpart");
                addRenamed(out, oai, k, prefix + hf);
            }
        }
    }

    /** The shape of a 2-D float matrix {@code k}, checked without decoding it. */
    private static int[] matrixShape(StateDict sd, String k) {
        int[] shape = sd.shape(k);
        if (shape.length != 2 || !sd.storedAs(k).isFloat())
            throw new ClipFormatException(k + " " + sd.storedAs(k) + Arrays.toString(shape) + ": expected a 2-D float matrix");
        return shape;
    }

    /**
     * Converts an HF {@code CLIPModel} state dict to OpenAI names, in OpenAI's state_dict order. Names, shapes and
     * dtypes are checked now; values move when the result asks for them (renamed entries stay pending, and a
     * transposed or q/k/v-joined weight {@linkplain StateDict#peek peeks} at its sources), so converting a lazily
     * read checkpoint holds no more floats than the consumer asks for.
     */
    public static StateDict toOpenAi(StateDict hf) {
        Map<String, String> plainBack = new LinkedHashMap<>();
        PLAIN.forEach((o, h) -> plainBack.put(h, o));
        Map<String, String> transBack = new LinkedHashMap<>();
        TRANSPOSED.forEach((o, h) -> transBack.put(h, o));
        Map<String, String> blockBack = new LinkedHashMap<>();
        BLOCK.forEach((o, h) -> blockBack.put(h, o));
        Map<String, Consumer<StateDict>> out = new LinkedHashMap<>();
        Map<String, String[]> qkv = new LinkedHashMap<>();
        for (String k : hf.names()) {
            if (k.endsWith("embeddings.position_ids")) continue; // a constant arange buffer, not a weight
            if (plainBack.containsKey(k)) addRenamed(out, hf, k, plainBack.get(k));
            else if (transBack.containsKey(k)) addTransposed(out, hf, k, transBack.get(k));
            else if (k.startsWith(HF_TEXT) || k.startsWith(HF_VISION)) {
                boolean text = k.startsWith(HF_TEXT);
                String rest = k.substring((text ? HF_TEXT : HF_VISION).length());
                int dot = rest.indexOf('.');
                if (dot <= 0) throw new ClipFormatException("malformed layer key '" + k + "'");
                String prefix = (text ? OAI_TEXT : OAI_VISION) + rest.substring(0, dot) + ".";
                String sub = rest.substring(dot + 1);
                if (sub.matches("self_attn\\.[qkv]_proj\\.(weight|bias)")) {
                    String kind = sub.endsWith("weight") ? "weight" : "bias";
                    int slot = "qkv".indexOf(sub.charAt(10));
                    qkv.computeIfAbsent(prefix + "attn.in_proj_" + kind, x -> new String[3])[slot] = k;
                } else {
                    String o = blockBack.get(sub);
                    if (o == null) throw new ClipFormatException("tensor '" + k + "' is not part of OpenAI's CLIP architecture");
                    addRenamed(out, hf, k, prefix + o);
                }
            } else if (k.startsWith("text_model.") || k.startsWith("vision_model.") || k.startsWith("visual_projection")) {
                throw new ClipFormatException("tensor '" + k + "' is not part of OpenAI's CLIP architecture");
            } else {
                throw new ClipFormatException("tensor '" + k + "' is not a Hugging Face CLIPModel key");
            }
        }
        qkv.forEach((name, parts) -> {
            for (int i = 0; i < 3; i++) {
                if (parts[i] == null) throw new ClipFormatException(name + ": the " + "qkv".charAt(i) + "_proj part is missing");
            }
            int[] shape = hf.shape(parts[0]);
            for (String p : parts) {
                if (!hf.storedAs(p).isFloat() || !Arrays.equals(hf.shape(p), shape) || hf.storedAs(p) != hf.storedAs(parts[0]) || shape.length < 1)
                    throw new ClipFormatException(name + ": q/k/v parts differ in shape or type: " + p + " " + hf.storedAs(p)
                            + Arrays.toString(hf.shape(p)) + " vs " + parts[0] + " " + hf.storedAs(parts[0]) + Arrays.toString(shape));
            }
            int[] joined = shape.clone();
            joined[0] *= 3;
            add(out, name, sd -> sd.putPending(name, hf.storedAs(parts[0]), joined,
                    () -> concatRows(name, new Tensor[] {hf.peek(parts[0]), hf.peek(parts[1]), hf.peek(parts[2])}),
                    hf.storedAs(parts[0]).isSixteenBitFloat() ? () -> concatBits16(hf, parts, shape) : null));
        });
        StateDict sd = new StateDict();
        sd.metadata().putAll(hf.metadata());
        out.keySet().stream().sorted(java.util.Comparator.comparingInt(HfNames::openAiRank).thenComparing(HfNames::blockKey))
                .forEach(k -> out.get(k).accept(sd));
        return sd;
    }

    /** {@code from}'s tensor k under the name {@code as} (still pending if it is). */
    private static void addRenamed(Map<String, Consumer<StateDict>> out, StateDict from, String k, String as) {
        add(out, as, sd -> sd.putFrom(from, k, as));
    }

    /** {@code from}'s 2-D matrix k transposed, under the name {@code as}; moved when asked for. */
    private static void addTransposed(Map<String, Consumer<StateDict>> out, StateDict from, String k, String as) {
        int[] shape = matrixShape(from, k);
        add(out, as, sd -> sd.putPending(as, from.storedAs(k), new int[] {shape[1], shape[0]}, () -> transpose(from.peek(k), as),
                from.storedAs(k).isSixteenBitFloat() ? () -> transposeBits16(from, k, shape) : null));
    }

    /** The stored 16-bit values of a transposed matrix, or null when its source has none to give. */
    private static short[] transposeBits16(StateDict from, String k, int[] shape) {
        short[] src = from.bits16(k, shape);
        if (src == null) return null;
        int r = shape[0], c = shape[1];
        short[] dst = new short[src.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) dst[j * r + i] = src[i * c + j];
        return dst;
    }

    /** The stored 16-bit values of q, k and v one after the other, or null when a part has none to give. */
    private static short[] concatBits16(StateDict hf, String[] parts, int[] shape) {
        short[][] bits = new short[3][];
        for (int i = 0; i < 3; i++) {
            bits[i] = hf.bits16(parts[i], shape);
            if (bits[i] == null) return null;
        }
        int n = bits[0].length;
        short[] out = new short[3 * n];
        for (int i = 0; i < 3; i++) System.arraycopy(bits[i], 0, out, i * n, n);
        return out;
    }

    private static void add(Map<String, Consumer<StateDict>> out, String name, Consumer<StateDict> adder) {
        if (out.putIfAbsent(name, adder) != null) throw new ClipFormatException("two source tensors map to '" + name + "'");
    }

    // --- ordering: OpenAI's and HF's own state_dict orders, so files written after a round trip are identical ---

    private static final String[] OAI_ORDER = {"positional_embedding", "text_projection", "logit_scale", "logit_bias",
            "visual.class_embedding", "visual.positional_embedding", "visual.proj", "visual.conv1.weight", "visual.ln_pre.",
            OAI_VISION, "visual.ln_post.", OAI_TEXT, "token_embedding.weight", "ln_final."};
    private static final String[] HF_ORDER = {"text_model.embeddings.token_embedding", "text_model.embeddings.position_embedding",
            HF_TEXT, "text_model.final_layer_norm", "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding",
            "vision_model.embeddings.position_embedding", "vision_model.pre_layrnorm", HF_VISION, "vision_model.post_layernorm",
            "visual_projection", "text_projection", "logit_scale", "logit_bias"};

    private static int openAiRank(String k) { return rank(k, OAI_ORDER); }

    private static int hfRank(String k) { return rank(k, HF_ORDER); }

    private static int rank(String k, String[] order) {
        for (int i = 0; i < order.length; i++) {
            String p = order[i];
            if (k.equals(p) || (p.endsWith(".") ? k.startsWith(p) : k.startsWith(p + "."))) return i;
        }
        return order.length;
    }

    private static final java.util.regex.Pattern BLOCK_KEY = java.util.regex.Pattern.compile("(resblocks|layers)\\.(\\d+)\\.(.*)");

    /** Orders blocks numerically and, inside a block, by the module order of the parameters. */
    private static String blockKey(String k) {
        java.util.regex.Matcher m = BLOCK_KEY.matcher(k);
        if (!m.find()) return "";
        String sub = m.group(3);
        String[] subOrder = {"attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias", "ln_1.weight", "ln_1.bias",
                "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias", "ln_2.weight", "ln_2.bias",
                "self_attn.k_proj.weight", "self_attn.k_proj.bias", "self_attn.v_proj.weight", "self_attn.v_proj.bias",
                "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
                "layer_norm1.weight", "layer_norm1.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
                "layer_norm2.weight", "layer_norm2.bias"};
        int s = Arrays.asList(subOrder).indexOf(sub);
        return String.format("%09d.%03d", Long.parseLong(m.group(2).length() > 9 ? "999999999" : m.group(2)), s < 0 ? 999 : s);
    }

    // --- value moves (exact copies) ---

    private static Tensor transpose(Tensor t, String name) {
        if (t.rank() != 2 || t.data() == null) throw new ClipFormatException(t.describe() + ": expected a 2-D float matrix");
        int r = t.dim(0), c = t.dim(1);
        float[] src = t.data(), dst = new float[src.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) dst[j * r + i] = src[i * c + j];
        return new Tensor(name, t.storedAs(), new int[] {c, r}, dst, null);
    }

    private static Tensor rows(Tensor t, int from, int count, String name) {
        if (t.data() == null) throw new ClipFormatException(t.describe() + ": expected a float tensor");
        int row = (int) (t.numel() / t.dim(0));
        int[] shape = t.shape().clone();
        shape[0] = count;
        return new Tensor(name, t.storedAs(), shape, Arrays.copyOfRange(t.data(), from * row, (from + count) * row), null);
    }

    private static Tensor concatRows(String name, Tensor[] parts) {
        int[] shape = parts[0].shape().clone();
        for (Tensor p : parts) {
            if (p.data() == null || !Arrays.equals(p.shape(), parts[0].shape()))
                throw new ClipFormatException(name + ": q/k/v parts differ in shape or type: " + p.describe() + " vs " + parts[0].describe());
        }
        int n = parts[0].data().length;
        float[] data = new float[3 * n];
        for (int i = 0; i < 3; i++) System.arraycopy(parts[i].data(), 0, data, i * n, n);
        shape[0] *= 3;
        return new Tensor(name, parts[0].storedAs(), shape, data, null);
    }
}
