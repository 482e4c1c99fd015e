package io.flinkclip.model.nn;

/**
 * One contrastive training step's maths without the optimiser: forward of both towers keeping activations,
 * the symmetric contrastive loss, and backward into parameter gradients with OpenAI's names
 * (eval-mode BatchNorm: running statistics, no BN buffer updates).
 */
public final class ClipBackward {
    private ClipBackward() {}

    /** The loss, the batch logits and d loss / d every parameter (including {@code logit_scale}). */
    public record Result(double loss, float[] logitsPerImage, Gradients gradients) {}

    /** Image i is paired with text i: {@code n} images [n, 3, R, R] and {@code n} token rows. */
    public static Result contrastive(VisionTower vision, TextTransformer text, float logitScale, float[] pixels, int n, int[][] tokens) {
        if (tokens.length != n) throw new IllegalArgumentException(n + " images but " + tokens.length + " texts: a contrastive batch pairs them one to one");
        int r = vision.resolution();
        if (pixels.length != n * 3 * r * r) throw new IllegalArgumentException("expected " + n + " images of 3×" + r + "×" + r + ", got " + pixels.length + " floats");
        Arena arena = new Arena();
        float[][] imgOut = new float[1][], txtOut = new float[1][];
        Object visionCache = switch (vision) {
            case VisionTransformer v -> v.forwardTrain(pixels, n, arena, imgOut);
            case ModifiedResNet m -> m.forwardTrain(pixels, n, arena, imgOut);
            default -> throw new UnsupportedOperationException("no backward pass for " + vision.getClass().getSimpleName());
        };
        TextTransformer.Cache textCache = text.forwardTrain(tokens, arena, txtOut);
        ContrastiveLoss.Result loss = ContrastiveLoss.compute(imgOut[0], txtOut[0], n, vision.embedDim(), logitScale);
        Gradients g = new Gradients();
        g.of("logit_scale")[0] += loss.dLogitScale();
        text.backward(textCache, loss.dText(), arena, g);
        switch (vision) {
            case VisionTransformer v -> v.backward((VisionTransformer.Cache) visionCache, loss.dImage(), arena, g);
            case ModifiedResNet m -> m.backward((ModifiedResNet.Cache) visionCache, loss.dImage(), arena, g);
            default -> throw new AssertionError();
        }
        return new Result(loss.loss(), loss.logitsPerImage(), g);
    }
}
