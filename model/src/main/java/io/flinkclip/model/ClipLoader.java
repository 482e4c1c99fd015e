package io.flinkclip.model;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Progress;
import io.flinkclip.io.convert.ModelLocation;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.model.image.ImagePreprocessor;
import io.flinkclip.model.text.ClipTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds a complete {@link Clip} from files. Head counts are not visible in tensor shapes: they default to
 * OpenAI's width/64 rule and can be overridden (or come from the file's metadata keys
 * {@code clip.vision_heads} / {@code clip.text_heads}, which flink-clip writes for non-standard models).
 */
public final class ClipLoader {
    private ClipLoader() {}

    /** Optional overrides; null keeps what the weights imply. */
    public record Overrides(Integer visionHeads, Integer textHeads) {
        public static final Overrides NONE = new Overrides(null, null);
    }

    /**
     * Loads a complete model from one string: a native flink-clip file, a safetensors file (with the vocabulary
     * beside it) or a Hugging Face directory; local paths, {@code file://}, and any scheme Flink's FileSystem
     * serves ({@code s3://}, {@code hdfs://}) when Flink is on the classpath.
     */
    public static Clip load(String location) { return load(location, null, Overrides.NONE); }

    public static Clip load(String location, String vocabLocation, Overrides overrides) {
        return load(location, vocabLocation, overrides, "cpu");
    }

    /** As {@link #load(String)}, with the encoder on {@code deviceSpec} ({@code cpu}, {@code cuda[:N]}, {@code opencl[:P:D]}, {@code auto}). */
    public static Clip load(String location, String vocabLocation, Overrides overrides, String deviceSpec) {
        // Built while the files exist: pending weights are decoded one by one as layers pack them.
        return ModelLocation.load(location, vocabLocation, Progress.NONE, m -> fromNative(m, overrides, deviceSpec));
    }

    /** As {@link #load(String, String, Overrides)} but trainable (gradients available; weights not pre-packed). */
    public static Clip loadTrainable(String location, String vocabLocation, Overrides overrides) {
        return ModelLocation.load(location, vocabLocation, Progress.NONE, m -> build(m, overrides, "cpu", true));
    }

    public static Clip fromNative(NativeModel m, Overrides o) { return fromNative(m, o, "cpu"); }

    /** An inference model (weights packed once; the state dict is consumed) on {@code deviceSpec}. */
    public static Clip fromNative(NativeModel m, Overrides o, String deviceSpec) { return build(m, o, deviceSpec, false); }

    private static Clip build(NativeModel m, Overrides o, String deviceSpec, boolean trainable) {
        ClipConfig cfg = m.config();
        var meta = m.weights().metadata();
        cfg = cfg.withHeads(pick(o.visionHeads(), meta.get("clip.vision_heads"), cfg.visionHeads()),
                pick(o.textHeads(), meta.get("clip.text_heads"), cfg.textHeads()));
        ClipTokenizer tok = m.vocab() == null ? null : ClipTokenizer.fromMerges(m.vocab().merges());
        if (m.vocab() != null && tok.vocabularySize() != cfg.vocabSize()) {
            throw new ClipFormatException("the vocabulary has " + tok.vocabularySize() + " tokens but the model's embedding has " + cfg.vocabSize());
        }
        boolean cpu = deviceSpec == null || deviceSpec.equals("cpu");
        if (trainable && !cpu) throw new IllegalArgumentException("trainable models load on the CPU; use ClipModels.onDevice for device training");
        ClipEncoder encoder = !cpu ? io.flinkclip.model.device.ClipModels.onDevice(m.weights(), cfg, deviceSpec)
                : trainable ? ClipModel.fromStateDict(m.weights(), cfg) : ClipModel.forInference(m.weights(), cfg);
        return new Clip(encoder, tok, new ImagePreprocessor());
    }

    /**
     * Loads a safetensors checkpoint for inference: the model is built with {@link ClipModel#forInference}
     * (weights packed once, the file's arrays released as they are packed), so it cannot compute gradients;
     * read the file with {@link SafeTensors#read} and use {@link #fromStateDict} for a trainable model.
     */
    public static Clip fromSafetensors(Path weights, Path vocab, Overrides overrides) {
        if (!Files.isRegularFile(weights)) throw new ClipFormatException("no such weights file: " + weights);
        ClipTokenizer tokenizer = vocab == null ? null : tokenizer(vocab);
        StateDict sd = SafeTensors.open(weights); // pending: each tensor decoded as its layer packs it
        ClipConfig cfg = config(sd, overrides);
        return new Clip(ClipModel.forInference(sd, cfg), tokenizer, new ImagePreprocessor());
    }

    public static Clip fromStateDict(StateDict sd, ClipTokenizer tokenizer, Overrides overrides) {
        ClipConfig cfg = config(sd, overrides);
        ClipModel model = ClipModel.fromStateDict(sd, cfg);
        return new Clip(model, tokenizer, new ImagePreprocessor());
    }

    public static ClipConfig config(StateDict sd, Overrides o) {
        ClipConfig cfg = ClipConfig.infer(sd);
        int vh = pick(o.visionHeads(), sd.metadata().get("clip.vision_heads"), cfg.visionHeads());
        int th = pick(o.textHeads(), sd.metadata().get("clip.text_heads"), cfg.textHeads());
        if (cfg.visionWidth() % vh != 0 && !cfg.isResNet()) throw new ClipFormatException("vision width " + cfg.visionWidth() + " is not divisible by " + vh + " heads");
        if (cfg.textWidth() % th != 0) throw new ClipFormatException("text width " + cfg.textWidth() + " is not divisible by " + th + " heads");
        return cfg.withHeads(vh, th);
    }

    private static int pick(Integer override, String meta, int inferred) {
        if (override != null) return override;
        if (meta != null) {
            try {
                return Integer.parseInt(meta.trim());
            } catch (NumberFormatException e) {
                throw new ClipFormatException("metadata head count '" + meta + "' is not an integer");
            }
        }
        return inferred;
    }

    /** OpenAI's {@code .txt.gz} merges, or a Hugging Face directory / vocab.json with merges.txt beside it. */
    public static ClipTokenizer tokenizer(Path vocab) {
        if (Files.isDirectory(vocab)) return ClipTokenizer.fromHuggingFace(vocab.resolve("vocab.json"), vocab.resolve("merges.txt"));
        String name = vocab.getFileName().toString();
        if (name.endsWith(".json")) return ClipTokenizer.fromHuggingFace(vocab, vocab.resolveSibling("merges.txt"));
        if (!Files.isRegularFile(vocab)) throw new ClipFormatException("no such vocabulary file: " + vocab);
        return ClipTokenizer.fromBpeGz(vocab);
    }
}
