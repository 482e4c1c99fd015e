package io.flinkclip.flink;

import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipLoader;

import java.util.regex.Pattern;

/**
 * Real model files: a native {@code .fclip} file, a safetensors file (vocabulary beside it) or a Hugging Face
 * directory, as a local path, {@code file://} URI or any scheme Flink's FileSystem serves ({@code s3://},
 * {@code hdfs://}, …). The device comes from a {@code #device=<spec>} suffix of the location
 * ({@code cpu | cuda[:N] | opencl[:P:D] | auto}), else the JVM property {@code clip.device}, else the CPU.
 */
public final class FileModelProvider implements ClipModelProvider {
    /** "name:" without "//" is another provider's scheme (supplier:, fake:, …), not a file. */
    private static final Pattern OTHER_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:(?!//).*");
    static final String DEVICE_SUFFIX = "#device=";

    @Override
    public boolean supports(String location) {
        return location != null && !location.isBlank() && (!OTHER_SCHEME.matcher(location).matches() || location.startsWith("file:"));
    }

    @Override
    public Clip load(String location) {
        String path = location, device = System.getProperty("clip.device", "cpu");
        int at = location.lastIndexOf(DEVICE_SUFFIX);
        if (at >= 0) {
            path = location.substring(0, at);
            device = location.substring(at + DEVICE_SUFFIX.length());
        }
        Clip clip = ClipLoader.load(path, null, ClipLoader.Overrides.NONE, device);
        if (clip.tokenizer() == null) {
            throw new IllegalArgumentException("model at '" + path + "' carries no vocabulary: convert it to the native format with --vocab, "
                    + "or put bpe_simple_vocab_16e6.txt.gz (or vocab.json + merges.txt) beside it");
        }
        return clip;
    }
}
