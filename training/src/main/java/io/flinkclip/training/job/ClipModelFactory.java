package io.flinkclip.training.job;

import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.Progress;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.io.convert.ModelLocation;
import io.flinkclip.io.nativefmt.NativeModel;
import io.flinkclip.io.nativefmt.NativeModelFile;
import io.flinkclip.io.nativefmt.Preprocessing;
import io.flinkclip.io.nativefmt.Provenance;
import io.flinkclip.io.nativefmt.TrainingState;
import io.flinkclip.model.ClipLoader;
import io.flinkclip.model.TextTokenizer;
import io.flinkclip.model.text.ClipTokenizer;
import io.flinkclip.training.ClipModelTrainable;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.DeviceTrainableClip;
import io.flinkclip.training.TrainableClip;
import io.flinkclip.training.optim.AdamW;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The product model ({@link ClipModelTrainable}) for the training job. {@code model} is either a model location
 * (native {@code .fclip}, safetensors, Hugging Face directory; see {@link ModelLocation}) or a fresh OpenAI-style
 * initialisation ({@link ClipInit}):
 * <ul>
 * <li>{@code init:ViT-B/32[,seed=S][,context=N]} — a released architecture, optionally with a shorter text context;</li>
 * <li>{@code init:vit,res=28,patch=7,width=128,layers=3,embed=128,text-width=128,text-layers=3,context=16[,heads=H]
 * [,text-heads=H][,vocab=49408][,seed=S]} — a custom ViT;</li>
 * <li>{@code init:resnet,res=64,width=16,layers=1-1-1-1,embed=64,text-width=64,text-layers=2,context=16[,…]} — a
 * custom modified ResNet.</li>
 * </ul>
 * Heads default to width/64 (at least 1). The vocabulary (OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}, or HF
 * {@code vocab.json}) comes from {@code vocab} or from the model file. Models are written as native files that
 * embed config, vocabulary and the AdamW training state.
 */
public final class ClipModelFactory implements TrainingModelFactory {
    private final String model, vocab;
    private transient NativeModel loaded;

    public ClipModelFactory(String model) { this(model, null); }

    public ClipModelFactory(String model, String vocab) {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("no model given (a file, or init:ARCH)");
        this.model = model;
        this.vocab = vocab;
        if (isInit()) config();   // reject a bad spec on the client, not on the task manager
    }

    private boolean isInit() { return model.startsWith("init:"); }

    /** The architecture (parses the spec or reads the model file's header). */
    public ClipConfig config() {
        if (isInit()) return parseInit(model.substring(5)).config;
        return load().config();
    }

    /**
     * The model on the device of {@code -Dclip.train.device} (cpu by default; {@code cuda:N}, {@code opencl:P:D} or
     * {@code auto} run the ViT towers' passes and AdamW there, the trainer and checkpoints on the host: {@link DeviceTrainableClip}).
     */
    @Override
    public TrainableClip createModel() {
        return DeviceTrainableClip.onDevice(createHostModel(), System.getProperty("clip.train.device", "cpu"));
    }

    private ClipModelTrainable createHostModel() {
        if (isInit()) {
            Init i = parseInit(model.substring(5));
            return new ClipModelTrainable(ClipInit.initialize(i.config, i.seed), i.config);
        }
        NativeModel m = load();
        loaded = null;   // the trainer adopts these arrays; a second model must not share them
        StateDict sd = m.weights();
        for (Tensor t : sd.tensors()) {   // a BF16/F16 file trains in float32 storage
            if (t.isFloat() && t.storedAs() != DType.F32) sd.put(new Tensor(t.name(), DType.F32, t.shape(), t.data(), null));
        }
        return new ClipModelTrainable(sd, ClipLoader.config(sd, new ClipLoader.Overrides(m.config().visionHeads(), m.config().textHeads())));
    }

    @Override
    public TextTokenizer createTokenizer() { return ClipTokenizer.fromMerges(vocabulary().merges()); }

    @Override
    public String modelFileSuffix() { return ".fclip"; }

    /** Native model file: config, OpenAI preprocessing, vocabulary, weights (f32) and the AdamW state. */
    @Override
    public void writeModel(ClipTrainer trainer, long nextPairIndex, Path file) throws IOException {
        TrainableClip trained = trainer.model();
        ClipConfig cfg = trained instanceof DeviceTrainableClip d ? d.config() : ((ClipModelTrainable) trained).config();
        StateDict opt = trainer.optimizerState();
        Map<String, StateDict> moments = new LinkedHashMap<>();
        moments.put("exp_avg", new StateDict());
        moments.put("exp_avg_sq", new StateDict());
        for (Tensor t : opt.tensors()) {
            if (t.name().startsWith(AdamW.M)) moments.get("exp_avg").put(Tensor.of(t.name().substring(AdamW.M.length()), t.shape(), t.data()));
            if (t.name().startsWith(AdamW.V)) moments.get("exp_avg_sq").put(Tensor.of(t.name().substring(AdamW.V.length()), t.shape(), t.data()));
        }
        TrainingState state = new TrainingState(trainer.step(), trainer.step(), "adamw", moments, null,
                Map.of("pairs", nextPairIndex), 0f);
        NativeModel m = new NativeModel(cfg, trainer.modelState(), Preprocessing.openAi(cfg.imageResolution()),
                vocabulary(cfg.contextLength()), Provenance.now(isInit() ? model : "trained from " + model, "flink-clip training"), state);
        NativeModelFile.write(file, m, DType.F32, Progress.NONE);
    }

    private BpeVocab vocabulary() { return vocabulary(config().contextLength()); }

    private BpeVocab vocabulary(int contextLength) {
        BpeVocab v;
        if (vocab != null) {
            Path p = Path.of(vocab);
            v = p.getFileName().toString().endsWith(".json") ? BpeVocab.readHf(p, p.resolveSibling("merges.txt"), contextLength) : BpeVocab.readOpenAi(p);
        } else if (!isInit() && load().vocab() != null) {
            v = load().vocab();
        } else {
            throw new IllegalArgumentException("no vocabulary: give --vocab (OpenAI's bpe_simple_vocab_16e6.txt.gz)" + (isInit() ? "" : "; " + model + " carries none"));
        }
        return new BpeVocab(v.merges(), v.specialTokens(), contextLength);
    }

    private NativeModel load() {
        if (loaded == null) loaded = ModelLocation.open(model, isInit() ? null : vocab, Progress.NONE);
        return loaded;
    }

    private record Init(ClipConfig config, long seed) {}

    static Init parseInit(String spec) {
        String[] parts = spec.split(",");
        Map<String, String> kv = new HashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("init option '" + parts[i] + "' is not key=value");
            kv.put(parts[i].substring(0, eq).strip().toLowerCase(Locale.ROOT), parts[i].substring(eq + 1).strip());
        }
        String kind = parts[0].strip();
        long seed = kv.containsKey("seed") ? number(kv, "seed") : 0;
        kv.remove("seed");
        ClipConfig c;
        if (kind.equalsIgnoreCase("vit") || kind.equalsIgnoreCase("resnet")) {
            boolean vit = kind.equalsIgnoreCase("vit");
            int width = (int) number(kv, "width"), textWidth = (int) number(kv, "text-width");
            int[] layers = vit ? new int[]{(int) number(kv, "layers")} : stages(kv.get("layers"));
            int visionHeads = kv.containsKey("heads") ? (int) number(kv, "heads") : Math.max(1, (vit ? width : width * 32) / 64);
            int textHeads = kv.containsKey("text-heads") ? (int) number(kv, "text-heads") : Math.max(1, textWidth / 64);
            c = new ClipConfig((int) number(kv, "embed"), (int) number(kv, "res"), layers, width, vit ? (int) number(kv, "patch") : 0,
                    visionHeads, kv.containsKey("context") ? (int) number(kv, "context") : 77,
                    kv.containsKey("vocab") ? (int) number(kv, "vocab") : 49408, textWidth, textHeads, (int) number(kv, "text-layers"));
            kv.keySet().removeAll(java.util.Set.of("width", "text-width", "layers", "heads", "text-heads", "embed", "res", "patch",
                    "context", "vocab", "text-layers"));
        } else {
            try {
                c = ClipArchitectures.get(kind);
            } catch (ClipFormatException e) {
                throw new IllegalArgumentException(e.getMessage() + " (or init:vit,… / init:resnet,… with explicit sizes)");
            }
            if (kv.containsKey("context")) {
                c = new ClipConfig(c.embedDim(), c.imageResolution(), c.visionLayers(), c.visionWidth(), c.visionPatchSize(), c.visionHeads(),
                        (int) number(kv, "context"), c.vocabSize(), c.textWidth(), c.textHeads(), c.textLayers());
                kv.remove("context");
            }
        }
        if (!kv.isEmpty()) throw new IllegalArgumentException("unknown init option(s) " + kv.keySet() + " in '" + spec + "'");
        validate(c);
        return new Init(c, seed);
    }

    private static void validate(ClipConfig c) {
        if (c.embedDim() < 1 || c.imageResolution() < 1 || c.visionWidth() < 1 || c.textWidth() < 1 || c.textLayers() < 1
                || c.contextLength() < 2 || c.vocabSize() < 49408 || java.util.Arrays.stream(c.visionLayers()).anyMatch(l -> l < 1)) {
            throw new IllegalArgumentException("invalid architecture " + c + " (vocab must hold OpenAI's 49408 ids)");
        }
        if (c.isResNet() ? c.imageResolution() % 32 != 0 || c.visionWidth() * 32 % c.visionHeads() != 0
                : c.visionPatchSize() < 1 || c.imageResolution() % c.visionPatchSize() != 0 || c.visionWidth() % c.visionHeads() != 0) {
            throw new IllegalArgumentException("image resolution / patch / heads do not fit together in " + c);
        }
        if (c.textWidth() % c.textHeads() != 0) throw new IllegalArgumentException("text width " + c.textWidth() + " not divisible by " + c.textHeads() + " heads");
    }

    private static int[] stages(String v) {
        if (v == null) throw new IllegalArgumentException("init:resnet needs layers=a-b-c-d");
        String[] s = v.split("-");
        if (s.length != 4) throw new IllegalArgumentException("ResNet layers must be four stage counts a-b-c-d, got '" + v + "'");
        int[] out = new int[4];
        for (int i = 0; i < 4; i++) out[i] = Integer.parseInt(s[i]);
        return out;
    }

    private static long number(Map<String, String> kv, String k) {
        String v = kv.get(k);
        if (v == null) throw new IllegalArgumentException("init spec needs " + k + "=…");
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("init option " + k + " must be an integer, got '" + v + "'");
        }
    }
}
