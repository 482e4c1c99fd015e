package io.flinkclip.model;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.StateDict;
import io.flinkclip.model.nn.Arena;
import io.flinkclip.model.nn.ClipBackward;
import io.flinkclip.model.nn.ModifiedResNet;
import io.flinkclip.model.nn.Params;
import io.flinkclip.model.nn.TextBatches;
import io.flinkclip.model.nn.TextTransformer;
import io.flinkclip.model.nn.Trace;
import io.flinkclip.model.nn.VisionTower;
import io.flinkclip.model.nn.VisionTransformer;

/**
 * The exact CLIP forward pass (OpenAI's {@code clip/model.py}) in float32 over the kernels of
 * {@code io.flinkclip.kernels}: a ViT or modified-ResNet image tower and the causal text transformer.
 * Immutable and thread-safe; each call keeps its activations in its own {@link Arena}, taken from a small pool so
 * that steady traffic reuses the same buffers instead of allocating them per call.
 */
public final class ClipModel implements ClipEncoder {
    /** Inputs are encoded in chunks of at most this many rows, bounding activation memory per call. */
    public static final int DEFAULT_MAX_BATCH = 32;

    private final ClipConfig config;
    private final VisionTower vision;
    private final TextTransformer text;
    private final float logitScale;
    private final int maxBatch;
    private final boolean inferenceOnly;
    private final long packedBytes, packed16Bytes;
    /**
     * Arenas kept between calls: as many as calls ran at once, up to {@link #POOLED_ARENAS}, each only while it
     * holds at most {@link #POOLED_FLOATS} (a larger call's arena is left to the collector).
     */
    private final java.util.concurrent.ArrayBlockingQueue<Arena> arenas = new java.util.concurrent.ArrayBlockingQueue<>(POOLED_ARENAS);
    private static final int POOLED_ARENAS = 4;
    /** 256 MB: RN50 at 32 images needs 155 MB of activations, ViT-B/32 85 MB. */
    private static final long POOLED_FLOATS = 64L << 20;

    private ClipModel(ClipConfig config, VisionTower vision, TextTransformer text, float logitScale, int maxBatch,
                      boolean inferenceOnly, long packedBytes, long packed16Bytes) {
        this.config = config;
        this.packedBytes = packedBytes;
        this.packed16Bytes = packed16Bytes;
        this.inferenceOnly = inferenceOnly;
        this.vision = vision;
        this.text = text;
        this.logitScale = logitScale;
        this.maxBatch = maxBatch;
    }

    /**
     * Builds the model from an OpenAI-named state dict. Every tensor is checked against {@code cfg}
     * (usually {@code ClipConfig.infer(sd)}, heads possibly overridden); a missing, mis-shaped or
     * non-finite tensor, or one the architecture does not use, throws a {@link ClipFormatException} naming it.
     * The model keeps the state dict's float arrays without copying: an optimiser updating them in place
     * updates this model (and the caller must not mutate them while encoding).
     */
    public static ClipModel fromStateDict(StateDict sd, ClipConfig cfg) { return build(sd, cfg, false); }

    /**
     * Builds an inference-only model: every Linear and convolution weight is packed once into the GEMM's layout
     * (the ResNet's eval BatchNorms folded into their convolutions), so no call repacks weights. It CONSUMES
     * {@code sd}: each tensor is removed from it as soon as it has been packed, so the unpacked arrays can be
     * collected while the model is built and the peak memory stays near one copy of the weights. The same
     * validation as {@link #fromStateDict} applies; {@link #contrastiveGradients} and {@link #trainingForward}
     * are unavailable. Results agree with {@link #fromStateDict} to float rounding.
     */
    public static ClipModel forInference(StateDict sd, ClipConfig cfg) { return build(sd, cfg, true); }

    private static ClipModel build(StateDict sd, ClipConfig cfg, boolean inference) {
        if (sd == null || cfg == null) throw new IllegalArgumentException("state dict and config are required");
        if (!cfg.isResNet() && (cfg.visionPatchSize() <= 0 || cfg.imageResolution() % cfg.visionPatchSize() != 0)) {
            throw new ClipFormatException("image resolution " + cfg.imageResolution() + " is not a multiple of the patch size " + cfg.visionPatchSize());
        }
        Params p = new Params(sd, inference);
        // The towers are built at once, the text one on a thread of its own: building is memory-bound (decoding,
        // checking and packing each weight), so the second core's bandwidth shortens loading.
        TowerBuild<TextTransformer> text = parallelBuild() ? TowerBuild.start(() -> new TextTransformer(p, cfg)) : null;
        VisionTower vision;
        try {
            vision = cfg.isResNet() ? new ModifiedResNet(p, cfg) : new VisionTransformer(p, cfg);
        } catch (RuntimeException | Error e) {
            if (text != null) text.awaitQuietly(); // it must not go on reading the state dict
            throw e;
        }
        TextTransformer textTower = text != null ? text.await() : new TextTransformer(p, cfg);
        float logitScale = p.scalar("logit_scale");
        p.requireAllUsed();
        return new ClipModel(cfg, vision, textTower, logitScale, DEFAULT_MAX_BATCH, inference, p.packedBytes(), p.packed16Bytes());
    }

    /** Whether the towers are built on two threads ({@code -Dclip.load.parallelTowers=false}: one after the other). */
    private static boolean parallelBuild() {
        return Boolean.parseBoolean(System.getProperty("clip.load.parallelTowers", "true"));
    }

    /** A tower being built on a thread of its own; {@link #await} returns it or rethrows what its build threw. */
    private static final class TowerBuild<T> {
        private final Thread thread;
        private T result;
        private Throwable failure;

        private TowerBuild(java.util.function.Supplier<T> build) {
            thread = Thread.ofPlatform().name("clip-tower-build").daemon().unstarted(() -> {
                try {
                    result = build.get();
                } catch (Throwable t) {
                    failure = t;
                }
            });
        }

        static <T> TowerBuild<T> start(java.util.function.Supplier<T> build) {
            TowerBuild<T> b = new TowerBuild<>(build);
            b.thread.start();
            return b;
        }

        T await() {
            awaitQuietly();
            if (failure instanceof RuntimeException r) throw r;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
            return result;
        }

        void awaitQuietly() {
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the build must finish before the state dict is given back
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** A copy that encodes in chunks of at most {@code maxBatch} rows. */
    public ClipModel withMaxBatch(int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        return new ClipModel(config, vision, text, logitScale, maxBatch, inferenceOnly, packedBytes, packed16Bytes);
    }

    /**
     * Bytes of the weights the inference build packed for its GEMMs and convolutions (0 for a training build), and
     * of those held in 16 bits because every value of the matrix is exactly a half or bfloat16 (OpenAI's released
     * weights are fp16) — see {@link io.flinkclip.kernels.PackedMatrix#compact()}.
     */
    public long packedWeightBytes() { return packedBytes; }

    public long packedWeightBytes16() { return packed16Bytes; }

    /** Whether this model was built by {@link #forInference} (packed weights, no training). */
    public boolean inferenceOnly() { return inferenceOnly; }

    @Override
    public ClipConfig config() { return config; }

    @Override
    public float logitScale() { return logitScale; }

    @Override
    public float[][] encodeImages(float[] pixels, int n) { return encodeImages(pixels, n, null); }

    /** As {@link #encodeImages(float[], int)}, recording activations into {@code trace} (then in one batch). */
    public float[][] encodeImages(float[] pixels, int n, Trace trace) {
        int r = config.imageResolution(), per = 3 * r * r;
        if (pixels == null || n < 0 || pixels.length != (long) n * per) {
            throw new IllegalArgumentException("expected " + n + " images of 3×" + r + "×" + r + " = " + ((long) n * per)
                    + " floats, got " + (pixels == null ? "null" : pixels.length));
        }
        for (int i = 0; i < pixels.length; i++) {
            if (!Float.isFinite(pixels[i])) throw new IllegalArgumentException("pixel value " + pixels[i] + " at flat index " + i + " (image " + i / per + ")");
        }
        float[][] out = new float[n][];
        int chunk = trace != null ? Math.max(n, 1) : maxBatch;
        Arena arena = trace != null ? new Arena() : borrowArena();
        for (int start = 0; start < n; start += chunk) {
            int m = Math.min(chunk, n - start);
            float[] part = m == n ? pixels : new float[m * per]; // towers only read their input
            if (part != pixels) System.arraycopy(pixels, start * per, part, 0, m * per);
            split(vision.forward(part, m, arena, trace), m, out, start);
            if (trace == null) arena.recycle();
        }
        if (trace == null) returnArena(arena);
        return out;
    }

    @Override
    public float[][] encodeTexts(int[][] tokens) { return encodeTexts(tokens, null, true); }

    /**
     * @param trace       optional activation capture; tracing runs the full context length (reference shapes)
     * @param skipPadding stop at the batch's last EOT (exact; see {@link TextTransformer})
     */
    public float[][] encodeTexts(int[][] tokens, Trace trace, boolean skipPadding) {
        if (tokens == null) throw new IllegalArgumentException("tokens are null");
        int n = tokens.length;
        float[][] out = new float[n][];
        if (trace == null && skipPadding) { // rows of similar length run together, each group up to its own longest
            int d = config.embedDim();
            Arena arena = borrowArena();
            for (int[] g : TextBatches.plan(text.runLengths(tokens), maxBatch)) {
                int[][] part = new int[g.length][];
                for (int k = 0; k < g.length; k++) part[k] = tokens[g[k]];
                float[] flat = text.forward(part, arena, null, true);
                for (int k = 0; k < g.length; k++) out[g[k]] = java.util.Arrays.copyOfRange(flat, k * d, (k + 1) * d);
                arena.recycle();
            }
            returnArena(arena);
            return out;
        }
        int chunk = trace != null ? Math.max(n, 1) : maxBatch;
        Arena arena = trace != null ? new Arena() : borrowArena();
        for (int start = 0; start < n; start += chunk) {
            int m = Math.min(chunk, n - start);
            int[][] part = java.util.Arrays.copyOfRange(tokens, start, start + m);
            split(text.forward(part, arena, trace, skipPadding), m, out, start);
            if (trace == null) arena.recycle();
        }
        if (trace == null) returnArena(arena);
        return out;
    }

    /** logits_per_image [nImg, nText] and logits_per_text (its transpose), as OpenAI's {@code CLIP.forward}. */
    public record Logits(float[][] perImage, float[][] perText) {}

    public Logits logits(float[][] imageEmb, float[][] textEmb) { return logits(imageEmb, textEmb, logitScale); }

    /** Cosine similarity of the L2-normalised embeddings × exp(logitScale). */
    public static Logits logits(float[][] imageEmb, float[][] textEmb, float logitScale) {
        float scale = (float) Math.exp(logitScale);
        float[][] img = new float[imageEmb.length][], txt = new float[textEmb.length][];
        for (int i = 0; i < img.length; i++) img[i] = Clip.normalize(imageEmb[i]);
        for (int j = 0; j < txt.length; j++) txt[j] = Clip.normalize(textEmb[j]);
        float[][] perImage = new float[img.length][txt.length], perText = new float[txt.length][img.length];
        for (int i = 0; i < img.length; i++) {
            for (int j = 0; j < txt.length; j++) {
                if (img[i].length != txt[j].length) {
                    throw new IllegalArgumentException("image embedding " + i + " has " + img[i].length + " dims, text " + j + " has " + txt[j].length);
                }
                float dot = 0;
                for (int k = 0; k < img[i].length; k++) dot += img[i][k] * txt[j][k];
                perImage[i][j] = perText[j][i] = scale * dot;
            }
        }
        return new Logits(perImage, perText);
    }

    /**
     * Loss and parameter gradients of OpenAI's symmetric contrastive loss for a batch pairing image i with
     * text i (eval mode: BatchNorm uses running statistics). Gradients carry OpenAI's parameter names.
     */
    public ClipBackward.Result contrastiveGradients(float[] pixels, int n, int[][] tokens) {
        requireTrainable();
        return ClipBackward.contrastive(vision, text, logitScale, pixels, n, tokens);
    }

    /** Training forward keeping activations; pair with {@link ClipBackward#backward} for a custom loss. */
    public ClipBackward.Pass trainingForward(float[] pixels, int n, int[][] tokens) {
        requireTrainable();
        return ClipBackward.forward(vision, text, pixels, n, tokens);
    }

    /**
     * BatchNorm (ResNet towers) in train mode — normalisation with the batch statistics, running statistics
     * updated by every forward that keeps activations — or in eval mode (the default). No effect on ViT towers.
     */
    public void setBatchNormTraining(boolean on) {
        requireTrainable();
        vision.setBatchStatistics(on);
    }

    private void requireTrainable() {
        if (inferenceOnly) throw new IllegalStateException("this model was built with ClipModel.forInference (packed weights only); build it with fromStateDict to train");
    }

    /** Image tower only, keeping activations (backpropagate with a null text gradient). */
    public ClipBackward.Pass trainingForwardImages(float[] pixels, int n) {
        requireTrainable();
        return ClipBackward.forwardImages(vision, text, pixels, n);
    }

    /** Text tower only, keeping activations (backpropagate with a null image gradient). */
    public ClipBackward.Pass trainingForwardTexts(int[][] tokens) {
        requireTrainable();
        return ClipBackward.forwardTexts(vision, text, tokens);
    }

    /** A pooled arena (recycled, so all its buffers are free) or a new reusable one. */
    private Arena borrowArena() {
        Arena a = arenas.poll();
        return a != null ? a : Arena.reusable();
    }

    /**
     * Pools a recycled arena for the next call, unless it grew past {@link #POOLED_FLOATS} or the pool is full. A
     * call that throws never returns its arena: it is simply dropped.
     */
    private void returnArena(Arena a) {
        if (a.retainedFloats() <= POOLED_FLOATS) arenas.offer(a);
    }

    private void split(float[] flat, int m, float[][] out, int start) {
        int d = config.embedDim();
        for (int i = 0; i < m; i++) out[start + i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
    }
}
