package io.flinkclip.io.convert;

import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.ModelNaming;
import io.flinkclip.io.Progress;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.NativeModelFile;
import io.flinkclip.io.nativefmt.NativeModelWriter;
import io.flinkclip.io.nativefmt.Preprocessing;
import io.flinkclip.io.nativefmt.Provenance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a CLIP model from any supported form into a {@link NativeModel} (OpenAI names) and saves it in any
 * supported form: OpenAI-named safetensors ↔ native container ↔ Hugging Face directory. Values are moved,
 * never recomputed, so F32 conversions are bit-exact; F16/BF16 storage rounds once (round-to-nearest-even)
 * and is stable afterwards.
 */
public final class ModelConverter {
    private ModelConverter() {}

    /**
     * @param vocab for safetensors sources only: OpenAI's {@code bpe_simple_vocab_16e6.txt(.gz)} or an HF
     *              {@code vocab.json} with {@code merges.txt} beside it; may be null
     */
    public static NativeModel load(Path source, Path vocab, Progress progress) {
        return switch (ModelFormat.detect(source)) {
            case NATIVE -> {
                NativeModel m = NativeModelFile.readPending(source); // weights decoded as the model asks for them
                yield vocab == null ? m : new NativeModel(m.config(), m.weights(), m.preprocessing(), readVocab(vocab, m.config()), m.provenance(), m.training());
            }
            case HF_DIRECTORY -> {
                NativeModel m = HfDirectory.read(source, progress);
                yield vocab == null ? m : new NativeModel(m.config(), m.weights(), m.preprocessing(), readVocab(vocab, m.config()), m.provenance(), m.training());
            }
            case SAFETENSORS -> {
                StateDict sd = ModelNaming.toOpenAi(readSafeTensors(source, progress));
                ClipConfig cfg = ClipConfig.infer(sd);
                yield new NativeModel(cfg, sd, Preprocessing.openAi(cfg.imageResolution()), vocab == null ? null : readVocab(vocab, cfg),
                        Provenance.now(source.toString(), "safetensors"), null);
            }
        };
    }

    public static void save(NativeModel model, Path target, ModelFormat format, DType floatStorage, Progress progress) {
        if (floatStorage != null && floatStorage != DType.F32 && floatStorage != DType.F16 && floatStorage != DType.BF16)
            throw new IllegalArgumentException("float storage must be F32, F16 or BF16, not " + floatStorage);
        switch (format) {
            case NATIVE -> NativeModelWriter.write(target, model, floatStorage, progress);
            case HF_DIRECTORY -> HfDirectory.write(model, target, floatStorage, progress);
            case SAFETENSORS -> {
                StateDict sd = withStorage(model.weights(), floatStorage);
                progress.begin("writing " + target, bytes(sd));
                SafeTensors.write(target, sd);
                progress.advance(bytes(sd));
                progress.end();
            }
        }
    }

    /** {@link #load} then {@link #save}; the target format defaults to what {@code target}'s name suggests. */
    public static NativeModel convert(Path source, Path vocab, Path target, ModelFormat to, DType floatStorage, Progress progress) {
        NativeModel m = load(source, vocab, progress);
        // Pending weights are read from source while saving, one at a time: the writers write a temporary file
        // and move it into place after the last tensor is read, so converting a file onto itself stays safe.
        save(m, target, to != null ? to : guess(target), floatStorage, progress);
        return m;
    }

    /** ".safetensors" → SAFETENSORS, an existing directory or a name without extension → HF, else native. */
    public static ModelFormat guess(Path target) {
        String n = target.getFileName().toString();
        if (n.endsWith(".safetensors")) return ModelFormat.SAFETENSORS;
        if (Files.isDirectory(target) || !n.contains(".")) return ModelFormat.HF_DIRECTORY;
        return ModelFormat.NATIVE;
    }

    static BpeVocab readVocab(Path vocab, ClipConfig cfg) {
        BpeVocab v = vocab.getFileName().toString().endsWith(".json")
                ? BpeVocab.readHf(vocab, vocab.resolveSibling("merges.txt"), cfg.contextLength())
                : BpeVocab.readOpenAi(vocab);
        if (v.contextLength() != cfg.contextLength())
            v = new BpeVocab(v.merges(), v.specialTokens(), cfg.contextLength());
        if (v.vocabSize() != cfg.vocabSize())
            throw new ClipFormatException(vocab + ": vocabulary has " + v.vocabSize() + " tokens but the model's token embedding has " + cfg.vocabSize());
        return v;
    }

    /**
     * The file's header, checked, with every tensor pending ({@link SafeTensors#open}): values are decoded as the
     * model asks for them, so the file must stay in place until the model is built.
     */
    static StateDict readSafeTensors(Path file, Progress progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new ClipFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
        progress.begin("reading " + file, size);
        StateDict sd = SafeTensors.open(file);
        progress.advance(size);
        progress.end();
        return sd;
    }

    /**
     * The same tensors with every float tensor marked for storage as {@code dt} (null: unchanged); values are
     * shared, and pending tensors stay pending (each is decoded when the writer takes it).
     */
    static StateDict withStorage(StateDict sd, DType dt) {
        if (dt == null) return sd;
        StateDict out = new StateDict();
        out.metadata().putAll(sd.metadata());
        for (String n : sd.names()) {
            if (!sd.storedAs(n).isFloat()) out.putFrom(sd, n, n);
            else out.putPending(n, dt, sd.shape(n), () -> {
                Tensor t = sd.peek(n);
                return new Tensor(n, dt, t.shape(), t.data(), null);
            });
        }
        return out;
    }

    /** Bytes of the tensors as stored, from their headers (nothing is decoded). */
    static long bytes(StateDict sd) {
        long total = 0;
        for (String n : sd.names()) total += sd.storedBytes(n);
        return total;
    }
}
