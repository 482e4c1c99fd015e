package io.flinkclip.cli;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipModel;
import io.flinkclip.model.image.ImagePreprocessor;
import io.flinkclip.model.nn.ClipBackward;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code clip grad --weights W --vocab FILE --images IMG... --texts FILE --out OUT}: the symmetric contrastive
 * loss of the batch pairing image i with text i and d loss / d parameter for every parameter, named
 * {@code grad.<OpenAI name>} (eval mode, as the reference records them).
 */
final class GradCommand implements ClipCli.Command {
    @Override
    public String summary() { return "contrastive loss and every parameter's gradient for one batch"; }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(argv, 0, ModelOptions.FLAGS, ModelOptions.with("images", "texts", "out"));
        Clip clip = ModelOptions.load(a, true, true);
        List<String> files = a.all("images");
        List<String> texts = TextInputs.read(a.path("texts"));
        if (files.isEmpty() || files.size() != texts.size()) {
            throw new Args.UsageException("need as many --images as texts (got " + files.size() + " images, " + texts.size() + " texts)");
        }
        int r = clip.config().imageResolution(), n = files.size();
        float[] pixels = new float[n * 3 * r * r];
        ImagePreprocessor pre = new ImagePreprocessor();
        for (int i = 0; i < n; i++) ImagePreprocessor.normalize(PreprocessCommand.resizeAndCrop(pre, Path.of(files.get(i)), r), r, pixels, i * 3 * r * r);
        int[][] tokens = new int[n][];
        for (int i = 0; i < n; i++) tokens[i] = clip.tokens(texts.get(i));
        ClipBackward.Result res = ((ClipModel) clip.encoder()).contrastiveGradients(pixels, n, tokens);
        StateDict out = new StateDict();
        out.put(Tensor.of("loss", new int[0], new float[] {(float) res.loss()}));
        for (Tensor g : res.gradients().toStateDict().tensors()) out.put(new Tensor("grad." + g.name(), g.storedAs(), g.shape(), g.data(), g.longs()));
        SafeTensors.write(a.path("out"), out);
        System.err.printf("loss %.6f, %d gradients written to %s%n", res.loss(), out.size() - 1, a.path("out"));
        return 0;
    }
}
