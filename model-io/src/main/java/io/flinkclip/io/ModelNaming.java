package io.flinkclip.io;

import io.flinkclip.io.hf.HfNames;

import java.util.ArrayList;
import java.util.List;

/**
 * The key-naming conventions CLIP checkpoints come in. OpenCLIP's CLIP class uses OpenAI's names verbatim
 * (including the ResNet {@code visual.attnpool}); it differs only for models whose text tower lives under
 * {@code text.} (CustomTextCLIP), for SigLIP-style {@code logit_bias}, and for timm/HF towers
 * ({@code visual.trunk.}, {@code text.transformer.embeddings}) that are not OpenAI architectures at all.
 */
public enum ModelNaming {
    OPENAI, OPENCLIP, HF;

    /** Keys of OpenAI's original (TorchScript-era) checkpoints that are metadata, not weights; build_model drops them. */
    private static final List<String> OPENAI_META_KEYS = List.of("input_resolution", "context_length", "vocab_size");

    public static ModelNaming detect(StateDict sd) {
        boolean openaiText = false, openclipText = false, hf = false, openclipOnly = false;
        for (String k : sd.names()) {
            if (k.startsWith("text_model.") || k.startsWith("vision_model.") || k.equals("visual_projection.weight")) hf = true;
            else if (k.startsWith("text.")) openclipText = true;
            else if (k.equals("logit_bias") || k.startsWith("visual.trunk.") || k.startsWith("visual.attn_pool.")) openclipOnly = true;
            else if (k.startsWith("token_embedding.") || k.startsWith("transformer.resblocks.")) openaiText = true;
        }
        if (hf) return HF;
        if (openclipText || openclipOnly) return OPENCLIP;
        if (openaiText || sd.has("visual.proj") || sd.has("visual.attnpool.positional_embedding")) return OPENAI;
        throw new ClipFormatException("cannot tell the naming of this state dict: no OpenAI (token_embedding, transformer.resblocks), "
                + "OpenCLIP (text.) or Hugging Face (text_model., vision_model.) keys among " + sample(sd));
    }

    /**
     * The same weights under OpenAI's names (tensors are shared, not copied, where no transform is needed; pending
     * tensors stay pending, so renaming a lazily read checkpoint decodes nothing).
     */
    public static StateDict toOpenAi(StateDict sd) {
        return switch (detect(sd)) {
            case OPENAI -> dropMeta(sd);
            case HF -> HfNames.toOpenAi(sd);
            case OPENCLIP -> fromOpenClip(sd);
        };
    }

    private static StateDict dropMeta(StateDict sd) {
        if (OPENAI_META_KEYS.stream().noneMatch(sd::has)) return sd;
        StateDict out = new StateDict();
        out.metadata().putAll(sd.metadata());
        for (String k : sd.names()) if (!OPENAI_META_KEYS.contains(k)) out.putFrom(sd, k, k);
        return out;
    }

    private static StateDict fromOpenClip(StateDict sd) {
        StateDict out = new StateDict();
        out.metadata().putAll(sd.metadata());
        for (String name : sd.names()) {
            String k = name;
            if (k.startsWith("visual.trunk.") || k.startsWith("visual.attn_pool.")) {
                throw new ClipFormatException("OpenCLIP model with a non-OpenAI vision tower (" + k + "): only OpenAI's ViT and modified ResNet are supported");
            }
            if (k.startsWith("text.")) {
                String rest = k.substring(5);
                if (!(rest.startsWith("token_embedding.") || rest.equals("positional_embedding") || rest.startsWith("transformer.resblocks.")
                        || rest.startsWith("ln_final.") || rest.equals("text_projection"))) {
                    throw new ClipFormatException("OpenCLIP model with a non-OpenAI text tower (" + k + "): only OpenAI's text transformer is supported");
                }
                k = rest;
            }
            // logit_bias (SigLIP-style losses) has no OpenAI counterpart; it is kept under its own name.
            out.putFrom(sd, name, k);
        }
        return out;
    }

    static String sample(StateDict sd) {
        List<String> names = new ArrayList<>(sd.names());
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " … (" + names.size() + " keys)";
    }
}
