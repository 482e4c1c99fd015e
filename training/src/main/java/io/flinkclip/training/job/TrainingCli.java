package io.flinkclip.training.job;

import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.data.CaptionedImageFiles;
import io.flinkclip.training.data.IdxDataset;
import io.flinkclip.training.data.PairDataset;
import io.flinkclip.training.data.WebDatasetShards;
import io.flinkclip.training.optim.AdamW;
import io.flinkclip.training.optim.CosineSchedule;
import io.flinkclip.training.optim.WeightDecayRule;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command line of the training job. Datasets: {@code --captions INDEX.tsv|.jsonl [--root DIR]},
 * {@code --idx-images F --idx-labels F --classes FILE --templates FILE} (one name / template per line), or
 * {@code --shards a.tar,b.tar}. The model is the product CLIP ({@link ClipModelFactory}: {@code --model FILE} or
 * {@code --model init:ARCH}, {@code --vocab BPE}), or comes from {@code --factory CLASS} (a {@link TrainingModelFactory}
 * with a public constructor taking {@code --model PATH} [and {@code --vocab PATH}], or a no-argument one).
 */
public final class TrainingCli {
    static final Set<String> KEYS = Set.of("factory", "model", "out", "captions", "root", "idx-images", "idx-labels", "classes",
            "templates", "shards", "batch", "chunk", "epochs", "lr", "warmup", "wd", "beta2", "eps", "clip", "seed", "resolution",
            "context", "decoders", "save-every", "checkpoint-ms", "crop-min", "heldout-captions", "heldout-root", "heldout-limit",
            "eval-every", "no-decay-embeddings", "vocab");

    /** Everything parsed from the command line. */
    public record Plan(PairDataset data, TrainingModelFactory factory, TrainingConfig config, long checkpointMillis) {}

    private TrainingCli() {}

    public static void main(String[] args) throws Exception {
        Plan plan;
        try {
            plan = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("usage: ClipTrainingJob (--model FILE|init:ARCH [--vocab BPE] | --factory CLASS [--model PATH]) --out DIR (--captions FILE [--root DIR] | "
                    + "--idx-images F --idx-labels F --classes F --templates F | --shards A.tar,B.tar) [--batch 256] [--chunk 64] "
                    + "[--epochs 1] [--lr 5e-4] [--warmup 500] [--wd 0.2] [--clip 1.0] [--seed 0] [--resolution 224] [--context 77] "
                    + "[--decoders 2] [--save-every 0] [--checkpoint-ms 60000] [--heldout-captions FILE --eval-every N]");
            System.exit(2);
            return;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(plan.checkpointMillis());
        ClipTrainingJob.build(env, plan.data(), plan.factory(), plan.config(), true);
        env.execute("flink-clip contrastive training");
    }

    public static Plan parse(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
            String k = args[i].substring(2);
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown option --" + k);
            if (k.equals("no-decay-embeddings")) { a.put(k, "true"); continue; }
            if (i + 1 >= args.length) throw new IllegalArgumentException("--" + k + " needs a value");
            a.put(k, args[++i]);
        }
        PairDataset data = dataset(a);
        int batch = integer(a, "batch", 256);
        long epochs = integer(a, "epochs", 1);
        long steps = epochs * (data.size() / batch);
        if (steps < 1) throw new IllegalArgumentException("dataset of " + data.size() + " pairs gives no full batch of " + batch);
        long warmup = Math.min(integer(a, "warmup", 500), steps - 1);
        ClipTrainer.Options opt = new ClipTrainer.Options(integer(a, "chunk", Math.min(batch, 64)), number(a, "clip", 1.0),
                new CosineSchedule(number(a, "lr", 5e-4), warmup, steps),
                new AdamW.Hyper(0.9, number(a, "beta2", 0.98), number(a, "eps", 1e-6), number(a, "wd", 0.2)),
                a.containsKey("no-decay-embeddings") ? WeightDecayRule.openClipAndEmbeddings() : WeightDecayRule.openClip());
        TrainingModelFactory factory = a.containsKey("factory") ? factory(a.get("factory"), a.get("model"), a.get("vocab"))
                : new ClipModelFactory(required(a, "model"), a.get("vocab"));
        // the product model knows its input sizes; other factories say them on the command line
        int resolution = 224, context = 77;
        if (factory instanceof ClipModelFactory f) {
            resolution = f.config().imageResolution();
            context = f.config().contextLength();
        }
        TrainingConfig.Builder b = TrainingConfig.builder(opt, required(a, "out"), integer(a, "resolution", resolution), integer(a, "context", context))
                .batchSize(batch).epochs(epochs).seed(integer(a, "seed", 0)).decodeParallelism(integer(a, "decoders", 2))
                .cropScale(number(a, "crop-min", 0.9), 1.0).saveEverySteps(integer(a, "save-every", 0));
        if (a.containsKey("heldout-captions")) {
            Path idx = Path.of(a.get("heldout-captions"));
            b.heldOut(CaptionedImageFiles.load(Path.of(a.getOrDefault("heldout-root", idx.toAbsolutePath().getParent().toString())), idx),
                    integer(a, "heldout-limit", 1000), integer(a, "eval-every", 100));
        }
        return new Plan(data, factory, b.build(), integer(a, "checkpoint-ms", 60000));
    }

    private static PairDataset dataset(Map<String, String> a) {
        int kinds = (a.containsKey("captions") ? 1 : 0) + (a.containsKey("idx-images") ? 1 : 0) + (a.containsKey("shards") ? 1 : 0);
        if (kinds != 1) throw new IllegalArgumentException("give exactly one dataset: --captions, --idx-images or --shards");
        if (a.containsKey("captions")) {
            Path idx = Path.of(a.get("captions"));
            return CaptionedImageFiles.load(Path.of(a.getOrDefault("root", String.valueOf(idx.toAbsolutePath().getParent()))), idx);
        }
        if (a.containsKey("shards")) return new WebDatasetShards(Arrays.stream(a.get("shards").split(",")).map(Path::of).toList());
        return new IdxDataset(Path.of(a.get("idx-images")), Path.of(required(a, "idx-labels")), lines(required(a, "classes")),
                lines(required(a, "templates")));
    }

    private static TrainingModelFactory factory(String cls, String model, String vocab) {
        try {
            Class<?> c = Class.forName(cls);
            if (!TrainingModelFactory.class.isAssignableFrom(c)) throw new IllegalArgumentException(cls + " is not a TrainingModelFactory");
            Object f = vocab != null ? c.getConstructor(String.class, String.class).newInstance(model, vocab)
                    : model != null ? c.getConstructor(String.class).newInstance(model) : c.getConstructor().newInstance();
            return (TrainingModelFactory) f;
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot create model factory " + cls + (model != null ? "(\"" + model + "\")" : "()") + ": " + e, e);
        }
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file)).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String required(Map<String, String> a, String k) {
        String v = a.get(k);
        if (v == null) throw new IllegalArgumentException("--" + k + " is required");
        return v;
    }

    private static int integer(Map<String, String> a, String k, int def) {
        try {
            return a.containsKey(k) ? Integer.parseInt(a.get(k)) : def;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + " must be an integer, got '" + a.get(k) + "'");
        }
    }

    private static double number(Map<String, String> a, String k, double def) {
        try {
            return a.containsKey(k) ? Double.parseDouble(a.get(k)) : def;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + " must be a number, got '" + a.get(k) + "'");
        }
    }
}
