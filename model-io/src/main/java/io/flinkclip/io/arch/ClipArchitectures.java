package io.flinkclip.io.arch;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The nine architectures OpenAI released (names as {@code clip.available_models()}), with head counts by
 * OpenAI's rules (ViT width/64, ResNet attention pool width·32/64, text width/64). Values agree with
 * open_clip's {@code model_configs/*.json}. Lookup ignores case and accepts open_clip's spelling
 * ("ViT-B-32", "ViT-L-14-336").
 */
public final class ClipArchitectures {
    private ClipArchitectures() {}

    private static final int CTX = 77, VOCAB = 49408;
    private static final Map<String, ClipConfig> BY_NAME = new LinkedHashMap<>();
    static {
        resnet("RN50", 1024, 224, new int[] {3, 4, 6, 3}, 64, 512);
        resnet("RN101", 512, 224, new int[] {3, 4, 23, 3}, 64, 512);
        resnet("RN50x4", 640, 288, new int[] {4, 6, 10, 6}, 80, 640);
        resnet("RN50x16", 768, 384, new int[] {6, 8, 18, 8}, 96, 768);
        resnet("RN50x64", 1024, 448, new int[] {3, 15, 36, 10}, 128, 1024);
        vit("ViT-B/32", 512, 224, 12, 768, 32, 512);
        vit("ViT-B/16", 512, 224, 12, 768, 16, 512);
        vit("ViT-L/14", 768, 224, 24, 1024, 14, 768);
        vit("ViT-L/14@336px", 768, 336, 24, 1024, 14, 768);
    }

    private static void resnet(String name, int embed, int res, int[] layers, int width, int textWidth) {
        BY_NAME.put(name, new ClipConfig(embed, res, layers, width, 0, width * 32 / 64, CTX, VOCAB, textWidth, textWidth / 64, 12));
    }

    private static void vit(String name, int embed, int res, int layers, int width, int patch, int textWidth) {
        BY_NAME.put(name, new ClipConfig(embed, res, new int[] {layers}, width, patch, width / 64, CTX, VOCAB, textWidth, textWidth / 64, 12));
    }

    /** OpenAI's names, in the order of {@code clip.available_models()}. */
    public static Set<String> names() { return java.util.Collections.unmodifiableSet(BY_NAME.keySet()); }

    public static ClipConfig get(String name) {
        String key = canonical(name);
        for (Map.Entry<String, ClipConfig> e : BY_NAME.entrySet()) if (canonical(e.getKey()).equals(key)) return e.getValue();
        throw new ClipFormatException("unknown CLIP architecture '" + name + "'; known: " + BY_NAME.keySet());
    }

    /** The OpenAI name of a config, or null when it is not one of the released architectures. */
    public static String nameOf(ClipConfig c) {
        for (Map.Entry<String, ClipConfig> e : BY_NAME.entrySet()) if (e.getValue().equals(c)) return e.getKey();
        return null;
    }

    /** "ViT-L/14@336px", "vit-l-14-336", "ViT-L/14-336px" → "vit-l-14-336". */
    private static String canonical(String name) {
        if (name == null) throw new ClipFormatException("no architecture name given");
        return name.trim().toLowerCase(Locale.ROOT).replace('/', '-').replace('@', '-').replace("px", "");
    }
}
