package io.flinkclip.io;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
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
        return infer(sd.shapes()); // shapes only: nothing is decoded
    }

    /**
     * Infers the architecture from tensor names and shapes alone (OpenAI names), so that architectures of
     * large models can be checked without allocating their weights.
     */
    public static ClipConfig infer(Map<String, int[]> shapes) {
        boolean vit = shapes.containsKey("visual.proj");
        int[] layers;
        int width, patch, resolution, vHeads;
        if (vit) {
            int[] conv1 = shape(shapes, "visual.conv1.weight", 4);
            width = conv1[0];
            patch = conv1[3];
            if (patch <= 0 || conv1[2] != patch) throw new ClipFormatException("visual.conv1.weight " + Arrays.toString(conv1) + " is not a square patch embedding");
            layers = new int[] {countBlocks(shapes, "visual.transformer.resblocks.")};
            resolution = patch * grid(shape(shapes, "visual.positional_embedding", 2)[0], "visual.positional_embedding");
            vHeads = Math.max(1, width / 64);
        } else {
            if (!shapes.containsKey("visual.layer1.0.conv1.weight")) {
                throw new ClipFormatException("state dict has neither visual.proj (ViT) nor visual.layer1 (ResNet): not an OpenAI-named CLIP model");
            }
            layers = new int[4];
            for (int b = 1; b <= 4; b++) layers[b - 1] = countBlocks(shapes, "visual.layer" + b + ".");
            width = shape(shapes, "visual.layer1.0.conv1.weight", 4)[0];
            int outWidth = grid(shape(shapes, "visual.attnpool.positional_embedding", 2)[0], "visual.attnpool.positional_embedding");
            resolution = outWidth * 32;
            patch = 0;
            vHeads = Math.max(1, width * 32 / 64);
        }
        int embed = shape(shapes, "text_projection", 2)[1];
        int ctx = shape(shapes, "positional_embedding", 2)[0];
        int vocab = shape(shapes, "token_embedding.weight", 2)[0];
        int tWidth = shape(shapes, "ln_final.weight", 1)[0];
        int tLayers = countBlocks(shapes, "transformer.resblocks.");
        if (Arrays.stream(layers).anyMatch(l -> l == 0) || tLayers == 0) {
            throw new ClipFormatException("state dict has an encoder without blocks: vision " + Arrays.toString(layers) + ", text " + tLayers);
        }
        return new ClipConfig(embed, resolution, layers, width, patch, vHeads, ctx, vocab, tWidth, Math.max(1, tWidth / 64), tLayers);
    }

    private static int[] shape(Map<String, int[]> shapes, String name, int rank) {
        int[] s = shapes.get(name);
        if (s == null) throw new ClipFormatException("missing tensor '" + name + "'");
        if (s.length != rank) throw new ClipFormatException(name + " " + Arrays.toString(s) + ": expected rank " + rank);
        return s;
    }

    /** The side of a square token grid holding {@code tokens - 1} cells (one class/mean token). */
    private static int grid(int tokens, String what) {
        int g = (int) Math.round(Math.sqrt(Math.max(0, tokens - 1)));
        if (g == 0 || g * g + 1 != tokens) throw new ClipFormatException(what + " has " + tokens + " rows, not a square grid plus one");
        return g;
    }

    /** Number of distinct block indices i among keys "prefix.i.…". */
    private static int countBlocks(Map<String, int[]> shapes, String prefix) {
        Set<String> ids = new HashSet<>();
        for (String k : shapes.keySet()) {
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
