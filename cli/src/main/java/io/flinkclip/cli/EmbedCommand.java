package io.flinkclip.cli;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipModel;
import io.flinkclip.model.image.ImagePreprocessor;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code clip embed --weights W --vocab FILE [--images IMG...] [--pixels P.safetensors] [--texts FILE] --out OUT}:
 * unnormalised image_embeds / text_embeds and, when both are given, logits_per_image / logits_per_text.
 */
final class EmbedCommand implements ClipCli.Command {
    @Override
    public String summary() { return "embed images and/or texts (safetensors: embeds and logits)"; }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(argv, 0, ModelOptions.FLAGS, ModelOptions.with("images", "pixels", "texts", "out"));
        Path out = a.path("out");
        if (!a.has("images") && !a.has("pixels") && !a.has("texts")) throw new Args.UsageException("give --images, --pixels and/or --texts");
        if (a.has("images") && a.has("pixels")) throw new Args.UsageException("give --images or --pixels, not both");
        Clip clip = ModelOptions.load(a, a.has("texts"));
        int r = clip.config().imageResolution();
        StateDict result = new StateDict();
        float[][] img = null, txt = null;
        if (a.has("images") || a.has("pixels")) {
            float[] pixels;
            int n;
            if (a.has("pixels")) {
                Tensor t = SafeTensors.read(a.path("pixels")).get("pixels");
                if (t.rank() != 4 || t.dim(1) != 3 || t.dim(2) != r || t.dim(3) != r) {
                    throw new ClipFormatException("pixels tensor has shape " + java.util.Arrays.toString(t.shape()) + ", the model needs [n, 3, " + r + ", " + r + "]");
                }
                pixels = t.data();
                n = t.dim(0);
            } else {
                List<String> files = a.all("images");
                n = files.size();
                pixels = new float[n * 3 * r * r];
                ImagePreprocessor pre = new ImagePreprocessor();
                for (int i = 0; i < n; i++) {
                    byte[] hwc = PreprocessCommand.resizeAndCrop(pre, Path.of(files.get(i)), r);
                    ImagePreprocessor.normalize(hwc, r, pixels, i * 3 * r * r);
                }
            }
            img = clip.encoder().encodeImages(pixels, n);
            result.put(matrix("image_embeds", img, clip.embedDim()));
        }
        if (a.has("texts")) {
            txt = clip.embedTexts(TextInputs.read(a.path("texts")));
            result.put(matrix("text_embeds", txt, clip.embedDim()));
        }
        if (img != null && txt != null) {
            ClipModel.Logits l = ClipModel.logits(img, txt, clip.encoder().logitScale());
            result.put(matrix("logits_per_image", l.perImage(), txt.length));
            result.put(matrix("logits_per_text", l.perText(), img.length));
        }
        SafeTensors.write(out, result);
        System.err.println("wrote " + String.join(", ", result.names()) + " to " + out);
        return 0;
    }

    static Tensor matrix(String name, float[][] rows, int cols) {
        float[] flat = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * cols, cols);
        return Tensor.of(name, new int[] {rows.length, cols}, flat);
    }
}
