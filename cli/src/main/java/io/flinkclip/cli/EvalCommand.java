package io.flinkclip.cli;

import io.flinkclip.model.Clip;
import io.flinkclip.tasks.data.CaptionsDataset;
import io.flinkclip.tasks.data.Dataset;
import io.flinkclip.tasks.data.IdxDataset;
import io.flinkclip.tasks.data.ImageFolderDataset;
import io.flinkclip.tasks.eval.EvalOptions;
import io.flinkclip.tasks.eval.Evaluator;
import io.flinkclip.tasks.eval.LinearProbeReport;
import io.flinkclip.tasks.eval.ZeroShotReport;
import io.flinkclip.tasks.zeroshot.PromptSets;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code clip eval zeroshot|linear-probe|retrieval}: accuracy (top-1/top-5, mean per class, confusion PNG) or
 * recall@K on a dataset: Fashion-MNIST/MNIST IDX files ({@code --dataset fashion-mnist [--idx-dir DIR]}, default
 * Debian's dataset-fashion-mnist location), an image folder per class ({@code --image-folder DIR}, or
 * {@code --train DIR --test DIR}), or a captions TSV/JSONL for retrieval ({@code --captions FILE}).
 */
final class EvalCommand implements ClipCli.Command {
    private static final Set<String> OPTIONS = ModelOptions.with("dataset", "idx-dir", "image-folder", "train", "test", "captions",
            "templates", "prompts", "limit", "batch", "confusion", "shots", "seed");

    @Override
    public String summary() { return "evaluate: zeroshot | linear-probe | retrieval (accuracy, recall@K)"; }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length == 0) throw new Args.UsageException("eval needs a mode: zeroshot, linear-probe or retrieval");
        if (!Set.of("zeroshot", "linear-probe", "retrieval").contains(argv[0])) {
            throw new Args.UsageException("unknown eval mode '" + argv[0] + "' (zeroshot, linear-probe, retrieval)");
        }
        Args a = new Args(argv, 1, ModelOptions.FLAGS, OPTIONS);
        Clip clip = ModelOptions.load(a, !argv[0].equals("linear-probe"));
        EvalOptions opts = EvalOptions.defaults(a.require("weights")).withBatchSize(a.intValue("batch", 32)).withLimit(a.intValue("limit", 0));
        switch (argv[0]) {
            case "zeroshot" -> {
                Dataset ds = dataset(a, "test");
                List<String> templates = a.has("templates") ? TextInputs.read(a.path("templates"))
                        : a.has("prompts") ? PromptSets.forDataset(a.require("prompts")).templates() : List.of("a photo of a {}.");
                ZeroShotReport r = Evaluator.zeroShot(clip, ds, templates, opts);
                System.out.println(r.toText());
                if (a.has("confusion")) r.writeConfusionPng(a.path("confusion"));
            }
            case "linear-probe" -> {
                Dataset train = dataset(a, "train"), test = dataset(a, "test");
                var probe = io.flinkclip.tasks.eval.ProbeOptions.defaults().withShots(a.intValue("shots", 0), a.intValue("seed", 0));
                LinearProbeReport r = Evaluator.linearProbe(clip, train, test, probe, opts);
                System.out.println(r.toText());
                if (a.has("confusion")) r.writeConfusionPng(a.path("confusion"));
            }
            case "retrieval" -> System.out.println(Evaluator.retrieval(clip, CaptionsDataset.load(a.path("captions")), opts, 1, 5, 10).toText());
            default -> throw new Args.UsageException("unknown eval mode '" + argv[0] + "' (zeroshot, linear-probe, retrieval)");
        }
        return 0;
    }

    /** The dataset for a split: --dataset (IDX), --image-folder (test only), or --train/--test folders. */
    private static Dataset dataset(Args a, String split) throws IOException {
        if (a.has("dataset")) {
            Path dir = a.has("idx-dir") ? a.path("idx-dir") : IdxDataset.DEBIAN_FASHION_MNIST;
            return switch (a.require("dataset")) {
                case "fashion-mnist" -> IdxDataset.fashionMnist(dir, split.equals("train"));
                case "mnist" -> IdxDataset.mnist(dir, split.equals("train"));
                default -> throw new Args.UsageException("--dataset must be fashion-mnist or mnist");
            };
        }
        if (a.has(split)) return ImageFolderDataset.open(a.path(split));
        if (split.equals("test") && a.has("image-folder")) return ImageFolderDataset.open(a.path("image-folder"));
        throw new Args.UsageException("give --dataset, --image-folder or --train/--test");
    }
}
