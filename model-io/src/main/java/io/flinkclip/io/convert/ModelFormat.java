package io.flinkclip.io.convert;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.nativefmt.NativeModelFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The on-disk forms a CLIP model can take. */
public enum ModelFormat {
    /** flink-clip's own container (docs/FORMAT.md). */
    NATIVE,
    /** One safetensors file with OpenAI (or OpenCLIP / HF) key names; the vocabulary comes separately. */
    SAFETENSORS,
    /** A Hugging Face model directory: config.json, model.safetensors, vocab.json, merges.txt. */
    HF_DIRECTORY;

    /** Sniffs a path: a directory is HF, the native magic is native, a plausible safetensors header is safetensors. */
    public static ModelFormat detect(Path p) {
        if (Files.isDirectory(p)) return HF_DIRECTORY;
        if (!Files.isRegularFile(p)) throw new ClipFormatException("no model at " + p + " (not a file or directory)");
        byte[] head;
        try (InputStream in = Files.newInputStream(p)) {
            head = in.readNBytes(9);
        } catch (IOException e) {
            throw new ClipFormatException("cannot read " + p + ": " + e.getMessage(), e);
        }
        if (NativeModelFile.isNative(head)) return NATIVE;
        if (head.length == 9 && head[8] == '{') return SAFETENSORS;
        throw new ClipFormatException(p + " is neither a flink-clip native model nor a safetensors file"
                + (p.toString().endsWith(".pt") || p.toString().endsWith(".bin") ? " (PyTorch pickles are not read: convert them to safetensors first)" : ""));
    }

    /** "native", "safetensors", "hf" (case-insensitive, a few spellings). */
    public static ModelFormat parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "native", "fclip" -> NATIVE;
            case "safetensors", "openai", "openai-safetensors" -> SAFETENSORS;
            case "hf", "huggingface", "hf-directory", "transformers" -> HF_DIRECTORY;
            default -> throw new IllegalArgumentException("unknown model format '" + s + "' (native, safetensors, hf)");
        };
    }
}
