package io.flinkclip.cli;

import io.flinkclip.io.DType;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.image.DecodedImage;
import io.flinkclip.model.image.ImageDecodeException;
import io.flinkclip.model.image.ImagePreprocessor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code clip preprocess --resolution R --images IMG... --out OUT.safetensors}: pixels_u8 [n,R,R,3] and pixels [n,3,R,R]. */
final class PreprocessCommand implements ClipCli.Command {
    @Override
    public String summary() { return "decode, resize, crop and normalise images into a safetensors file"; }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(argv, 0, Set.of(), Set.of("resolution", "images", "out"));
        int r = a.intValue("resolution", 224);
        if (r <= 0 || r > 4096) throw new Args.UsageException("--resolution must be in 1..4096");
        List<String> images = a.all("images");
        if (images.isEmpty()) throw new Args.UsageException("no --images given");
        Path out = a.path("out");
        ImagePreprocessor pre = new ImagePreprocessor();
        int n = images.size(), plane = r * r * 3;
        long[] u8 = new long[n * plane];
        float[] pixels = new float[n * plane];
        for (int i = 0; i < n; i++) {
            byte[] hwc = resizeAndCrop(pre, Path.of(images.get(i)), r);
            for (int j = 0; j < plane; j++) u8[i * plane + j] = hwc[j] & 0xff;
            ImagePreprocessor.normalize(hwc, r, pixels, i * plane);
        }
        StateDict sd = new StateDict();
        sd.put(new Tensor("pixels_u8", DType.U8, new int[] {n, r, r, 3}, null, u8));
        sd.put(Tensor.of("pixels", new int[] {n, 3, r, r}, pixels));
        SafeTensors.write(out, sd);
        System.err.println("wrote " + n + " images at " + r + "x" + r + " to " + out);
        return 0;
    }

    static byte[] resizeAndCrop(ImagePreprocessor pre, Path file, int r) throws java.io.IOException {
        try {
            DecodedImage img = pre.decoder().decode(Files.readAllBytes(file));
            return pre.resizeAndCropU8(img, r);
        } catch (ImageDecodeException e) {
            throw new ImageDecodeException(file + ": " + e.getMessage(), e);
        }
    }
}
