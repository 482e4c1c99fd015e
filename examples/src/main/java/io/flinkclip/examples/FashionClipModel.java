package io.flinkclip.examples;

import io.flinkclip.model.Clip;
import io.flinkclip.model.ClipLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * The demo's built-in model: a real CLIP (ViT, 28 px, 3.6 M parameters) trained from scratch by flink-clip's
 * own training job on Fashion-MNIST (docs/TRAINING.md: 82.9 % zero-shot top-1 on the test set with prompt
 * templates never seen in training), stored as a native .fclip file (BF16, vocabulary embedded) in this jar.
 */
public final class FashionClipModel implements Supplier<Clip> {
    static final String RESOURCE = "fashion-clip.fclip";
    /** Fashion-MNIST's classes, in label order. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot");
    /** A prompt template the model never saw in training (its training templates are in docs/fashion-mnist/). */
    public static final String HELD_OUT_TEMPLATE = "a black and white photo of a {}.";

    @Override
    public Clip get() {
        return ClipLoader.load(extract(RESOURCE, ".fclip").toString());
    }

    /** Copies a resource of this package to a temporary file (model loading maps files). */
    static Path extract(String resource, String suffix) {
        try (InputStream in = FashionClipModel.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("resource " + resource + " is missing from the examples jar");
            Path tmp = Files.createTempFile("flink-clip-demo-", suffix);
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
