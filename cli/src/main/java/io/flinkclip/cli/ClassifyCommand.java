package io.flinkclip.cli;

import io.flinkclip.model.Clip;
import io.flinkclip.model.image.ImagePreprocessor;
import io.flinkclip.tasks.zeroshot.Prediction;
import io.flinkclip.tasks.zeroshot.ZeroShotClassifier;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code clip classify --weights W --vocab FILE --labels a,b,c [--templates FILE] [--top K] IMG...}: zero-shot
 * top-k per image, one line per image: {@code path<TAB>label=prob label=prob …}. Without --templates the single
 * prompt "a photo of a {}." is used.
 */
final class ClassifyCommand implements ClipCli.Command {
    @Override
    public String summary() { return "zero-shot classify images against labels (prompt-ensembled)"; }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(argv, 0, ModelOptions.FLAGS, ModelOptions.with("labels", "templates", "top", "images"));
        List<String> labels = Arrays.stream(a.require("labels").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (labels.size() < 2) throw new Args.UsageException("--labels needs at least two comma-separated labels");
        List<String> templates = a.has("templates") ? TextInputs.read(a.path("templates")) : List.of("a photo of a {}.");
        List<String> images = new ArrayList<>(a.positionals());
        images.addAll(a.all("images"));
        if (images.isEmpty()) throw new Args.UsageException("no images given");
        int k = Math.min(a.intValue("top", 5), labels.size());
        Clip clip = ModelOptions.load(a, true);
        ZeroShotClassifier classifier = ZeroShotClassifier.create(clip, a.require("weights"), labels, templates);
        ImagePreprocessor pre = new ImagePreprocessor();
        int r = clip.config().imageResolution();
        for (String file : images) {
            float[] pixels = ImagePreprocessor.normalize(PreprocessCommand.resizeAndCrop(pre, Path.of(file), r), r);
            List<Prediction> top = classifier.classify(clip.embedPixels(List.of(pixels)), k).getFirst();
            StringBuilder line = new StringBuilder(file);
            for (Prediction p : top) line.append('\t').append(p.label()).append('=').append(String.format("%.4f", p.probability()));
            System.out.println(line);
        }
        return 0;
    }
}
