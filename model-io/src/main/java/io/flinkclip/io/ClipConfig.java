package io.flinkclip.io;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The architecture of a CLIP model: everything needed to build the networks. Inferred from tensor shapes
 * exactly as OpenAI's {@code build_model} does; head counts cannot be seen in shapes, so they default to
 * width/64 (OpenAI's rule for every released model) and may be overridden from a model's own config.
 *
 * @param visionLayers ViT: one entry (the number of blocks); ResNet: four entries (blocks per stage)
 * @param visionPatchSize ViT patch size; 0 for the modified ResNet
 */
public record ClipConfig(int embedDim, int imageResolution, int[] visionLayers, int visionWidth, int visionPatchSize,
                         int visionHeads, int contextLength, int vocabSize, int textWidth, int textHeads, int textLayers) {

    public boolean isResNet() { return visionPatchSize == 0; }

    /** ViT: tokens per image (grid² + class token). */
    public int visionTokens() {
        int g = imageResolution / visionPatchSize;
        return g * g + 1;
    }

    public ClipConfig withHeads(int visionHeads, int textHeads) {
        return new ClipConfig(embedDim, imageResolution, visionLayers, visionWidth, visionPatchSize, visionHeads,
                contextLength, vocabSize, textWidth, textHeads, textLayers);
    }

    /** Infers the architecture from an OpenAI-named state dict (see {@code clip/model.py: build_model}). */
    public static ClipConfig infer(StateDict sd) {
        boolean vit = sd.has("visual.proj");
        int[] layers;
        int width, patch, resolution, vHeads;
        if (vit) {
            Tensor conv1 = sd.get("visual.conv1.weight");
            requireRank(conv1, 4);
            width = conv1.dim(0);
            patch = conv1.dim(3);
            layers = new int[] {countBlocks(sd, "visual.transformer.resblocks.")};
            int grid = (int) Math.round(Math.sqrt(sd.get("visual.positional_embedding").dim(0) - 1));
            resolution = patch * grid;
            vHeads = Math.max(1, width / 64);
        } else {
            layers = new int[4];
            for (int b = 1; b <= 4; b++) layers[b - 1] = countBlocks(sd, "visual.layer" + b + ".");
            width = sd.get("visual.layer1.0.conv1.weight").dim(0);
            int outWidth = (int) Math.round(Math.sqrt(sd.get("visual.attnpool.positional_embedding").dim(0) - 1));
            resolution = outWidth * 32;
            patch = 0;
            vHeads = Math.max(1, width * 32 / 64);
        }
        int embed = sd.get("text_projection").dim(1);
        int ctx = sd.get("positional_embedding").dim(0);
        int vocab = sd.get("token_embedding.weight").dim(0);
        int tWidth = sd.get("ln_final.weight").dim(0);
        int tLayers = countBlocks(sd, "transformer.resblocks.");
        if (Arrays.stream(layers).anyMatch(l -> l == 0) || tLayers == 0) {
            throw new ClipFormatException("state dict has an encoder without blocks: vision " + Arrays.toString(layers) + ", text " + tLayers);
        }
        return new ClipConfig(embed, resolution, layers, width, patch, vHeads, ctx, vocab, tWidth, Math.max(1, tWidth / 64), tLayers);
    }

    private static void requireRank(Tensor t, int rank) {
        if (t.rank() != rank) throw new ClipFormatException(t.describe() + ": expected rank " + rank);
    }

    /** Number of distinct block indices i among keys "prefix.i.…". */
    private static int countBlocks(StateDict sd, String prefix) {
        Set<String> ids = new HashSet<>();
        for (String k : sd.names()) {
            if (k.startsWith(prefix)) {
                String rest = k.substring(prefix.length());
                int dot = rest.indexOf('.');
                if (dot > 0) ids.add(rest.substring(0, dot));
            }
        }
        return ids.size();
    }

    @Override
    public String toString() {
        return "ClipConfig[" + (isResNet() ? "ResNet" + Arrays.toString(visionLayers) : "ViT-" + visionLayers[0] + "/p" + visionPatchSize)
                + " width=" + visionWidth + " heads=" + visionHeads + " res=" + imageResolution + " embed=" + embedDim
                + " text=" + textLayers + "x" + textWidth + "/h" + textHeads + " ctx=" + contextLength + " vocab=" + vocabSize + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClipConfig c && embedDim == c.embedDim && imageResolution == c.imageResolution
                && Arrays.equals(visionLayers, c.visionLayers) && visionWidth == c.visionWidth && visionPatchSize == c.visionPatchSize
                && visionHeads == c.visionHeads && contextLength == c.contextLength && vocabSize == c.vocabSize
                && textWidth == c.textWidth && textHeads == c.textHeads && textLayers == c.textLayers;
    }

    @Override
    public int hashCode() { return toString().hashCode(); }
}
