package io.flinkclip.model.nn;

/**
 * Training maths without the optimiser: a forward of both towers that keeps activations ({@link #forward}),
 * the backward from feature gradients into parameter gradients with OpenAI's names ({@link #backward}), and
 * the two glued by CLIP's symmetric contrastive loss ({@link #contrastive}). Eval mode throughout: BatchNorm
 * uses its running statistics and its buffers are not updated, exactly as the reference gradients were made.
 * The split lets a trainer use its own loss (e.g. negatives gathered across workers) or accumulate
 * micro-batches into one {@link Gradients}.
 */
public final class ClipBackward {
    private ClipBackward() {}

    /** The activations of one training forward and the features it produced ([n, embedDim] row-major). */
    public static final class Pass {
        private final VisionTower vision;
        private final TextTransformer text;
        private final Arena arena = new Arena();
        private Object visionCache;
        private TextTransformer.Cache textCache;
        private float[] imageFeatures, textFeatures;
        private int images, texts;
        private boolean consumed;

        private Pass(VisionTower vision, TextTransformer text) {
            this.vision = vision;
            this.text = text;
        }

        public float[] imageFeatures() { return imageFeatures; }

        public float[] textFeatures() { return textFeatures; }

        public int images() { return images; }

        public int texts() { return texts; }

        /** Floats of activation memory this pass holds. */
        public long activationFloats() { return arena.floats(); }
    }

    /** Forward of {@code n} images [n, 3, R, R] and the token rows, keeping what the backward pass needs. */
    public static Pass forward(VisionTower vision, TextTransformer text, float[] pixels, int n, int[][] tokens) {
        int r = vision.resolution();
        if (pixels == null || n < 1 || pixels.length != (long) n * 3 * r * r) {
            throw new IllegalArgumentException("expected n ≥ 1 images of 3×" + r + "×" + r + ", got " + (pixels == null ? "null" : pixels.length + " floats for n=" + n));
        }
        if (tokens == null || tokens.length < 1) throw new IllegalArgumentException("a training batch needs at least one text");
        Pass p = new Pass(vision, text);
        forwardVision(p, pixels, n);
        forwardText(p, tokens);
        return p;
    }

    /**
     * Image tower only (e.g. GradCache, which embeds and backpropagates the towers separately); backpropagate
     * with a null text gradient.
     */
    public static Pass forwardImages(VisionTower vision, TextTransformer text, float[] pixels, int n) {
        int r = vision.resolution();
        if (pixels == null || n < 1 || pixels.length != (long) n * 3 * r * r) {
            throw new IllegalArgumentException("expected n ≥ 1 images of 3×" + r + "×" + r + ", got " + (pixels == null ? "null" : pixels.length + " floats for n=" + n));
        }
        Pass p = new Pass(vision, text);
        forwardVision(p, pixels, n);
        return p;
    }

    /** Text tower only; backpropagate with a null image gradient. */
    public static Pass forwardTexts(VisionTower vision, TextTransformer text, int[][] tokens) {
        if (tokens == null || tokens.length < 1) throw new IllegalArgumentException("a training batch needs at least one text");
        Pass p = new Pass(vision, text);
        forwardText(p, tokens);
        return p;
    }

    private static void forwardVision(Pass p, float[] pixels, int n) {
        float[][] out = new float[1][];
        p.visionCache = switch (p.vision) {
            case VisionTransformer v -> v.forwardTrain(pixels, n, p.arena, out);
            case ModifiedResNet m -> m.forwardTrain(pixels, n, p.arena, out);
            default -> throw new UnsupportedOperationException("no backward pass for " + p.vision.getClass().getSimpleName());
        };
        p.imageFeatures = out[0];
        p.images = n;
    }

    private static void forwardText(Pass p, int[][] tokens) {
        float[][] out = new float[1][];
        p.textCache = p.text.forwardTrain(tokens, p.arena, out);
        p.textFeatures = out[0];
        p.texts = tokens.length;
    }

    /**
     * Accumulates (+=) into {@code g} the parameter gradients for d loss / d features; either may be null
     * when the loss does not depend on that tower. A pass may be backpropagated once.
     */
    public static void backward(Pass p, float[] dImage, float[] dText, Gradients g) {
        if (p.consumed) throw new IllegalStateException("this pass was already backpropagated");
        int d = p.vision.embedDim();
        if (dImage != null && dImage.length != p.images * d || dText != null && dText.length != p.texts * d) {
            throw new IllegalArgumentException("feature gradients must be [" + p.images + ", " + d + "] and [" + p.texts + ", " + d + "]");
        }
        if (dImage != null && p.visionCache == null || dText != null && p.textCache == null) {
            throw new IllegalArgumentException("a gradient for a tower this pass did not run forward");
        }
        p.consumed = true;
        if (dText != null) p.text.backward(p.textCache, dText, p.arena, g);
        if (dImage != null) {
            switch (p.vision) {
                case VisionTransformer v -> v.backward((VisionTransformer.Cache) p.visionCache, dImage, p.arena, g);
                case ModifiedResNet m -> m.backward((ModifiedResNet.Cache) p.visionCache, dImage, p.arena, g);
                default -> throw new AssertionError();
            }
        }
        p.textCache = null;
        p.visionCache = null;
    }

    /** The loss, the batch logits and d loss / d every parameter (including {@code logit_scale}). */
    public record Result(double loss, float[] logitsPerImage, Gradients gradients) {}

    /** CLIP's contrastive step for a batch pairing image i with text i. */
    public static Result contrastive(VisionTower vision, TextTransformer text, float logitScale, float[] pixels, int n, int[][] tokens) {
        if (tokens == null || tokens.length != n) {
            throw new IllegalArgumentException(n + " images but " + (tokens == null ? "no" : tokens.length) + " texts: a contrastive batch pairs them one to one");
        }
        Pass p = forward(vision, text, pixels, n, tokens);
        ContrastiveLoss.Result loss = ContrastiveLoss.compute(p.imageFeatures, p.textFeatures, n, vision.embedDim(), logitScale);
        Gradients g = new Gradients();
        g.add("logit_scale", new int[0], new float[] {(float) loss.dLogitScale()});
        backward(p, loss.dImage(), loss.dText(), g);
        return new Result(loss.loss(), loss.logitsPerImage(), g);
    }
}
