package io.flinkclip.io.nativefmt;

import io.flinkclip.io.BpeVocab;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.nativefmt.proto.ClipArchitecture;
import io.flinkclip.io.nativefmt.proto.TensorDType;
import io.flinkclip.io.nativefmt.proto.Tokenizer;

/** Conversions between the Java model types and the header messages, validating what comes from a file. */
final class ProtoMapping {
    private ProtoMapping() {}

    static ClipArchitecture toProto(ClipConfig c) {
        ClipArchitecture.Builder b = ClipArchitecture.newBuilder().setEmbedDim(c.embedDim()).setImageResolution(c.imageResolution())
                .setVisionWidth(c.visionWidth()).setVisionPatchSize(c.visionPatchSize()).setVisionHeads(c.visionHeads())
                .setContextLength(c.contextLength()).setVocabSize(c.vocabSize()).setTextWidth(c.textWidth())
                .setTextHeads(c.textHeads()).setTextLayers(c.textLayers());
        for (int l : c.visionLayers()) b.addVisionLayers(l);
        return b.build();
    }

    /** Unsigned proto values above this are rejected: no CLIP dimension comes close, and it keeps int maths safe. */
    private static final int MAX_DIM = 1 << 20;

    static ClipConfig fromProto(ClipArchitecture a, String what) {
        int[] layers = new int[a.getVisionLayersCount()];
        for (int i = 0; i < layers.length; i++) layers[i] = dim(a.getVisionLayers(i), "vision_layers", what);
        int patch = a.getVisionPatchSize();
        if (patch < 0 || patch > MAX_DIM) throw new ClipFormatException(what + ": invalid vision_patch_size " + Integer.toUnsignedString(patch));
        if (layers.length != (patch == 0 ? 4 : 1))
            throw new ClipFormatException(what + ": " + (patch == 0 ? "a ResNet needs 4 stage depths" : "a ViT needs one depth") + ", got " + layers.length);
        ClipConfig c = new ClipConfig(dim(a.getEmbedDim(), "embed_dim", what), dim(a.getImageResolution(), "image_resolution", what), layers,
                dim(a.getVisionWidth(), "vision_width", what), patch, dim(a.getVisionHeads(), "vision_heads", what),
                dim(a.getContextLength(), "context_length", what), dim(a.getVocabSize(), "vocab_size", what),
                dim(a.getTextWidth(), "text_width", what), dim(a.getTextHeads(), "text_heads", what), dim(a.getTextLayers(), "text_layers", what));
        int visionAttnWidth = c.isResNet() ? c.visionWidth() * 32 : c.visionWidth();
        if (visionAttnWidth % c.visionHeads() != 0 || c.textWidth() % c.textHeads() != 0)
            throw new ClipFormatException(what + ": head counts do not divide the widths in " + c);
        if (c.imageResolution() % (c.isResNet() ? 32 : c.visionPatchSize()) != 0)
            throw new ClipFormatException(what + ": image_resolution " + c.imageResolution() + " does not fit the " + (c.isResNet() ? "ResNet stride 32" : "patch size"));
        return c;
    }

    private static int dim(int v, String field, String what) {
        if (v <= 0 || v > MAX_DIM) throw new ClipFormatException(what + ": invalid " + field + " " + Integer.toUnsignedString(v));
        return v;
    }

    static Tokenizer toProto(BpeVocab v) {
        return Tokenizer.newBuilder().addAllMerges(v.merges()).addAllSpecialTokens(v.specialTokens())
                .setVocabSize(v.vocabSize()).setContextLength(v.contextLength()).build();
    }

    static BpeVocab fromProto(Tokenizer t, String what) {
        BpeVocab v = new BpeVocab(t.getMergesList(), t.getSpecialTokensList(), t.getContextLength());
        if (v.vocabSize() != t.getVocabSize())
            throw new ClipFormatException(what + ": tokenizer declares " + Integer.toUnsignedString(t.getVocabSize()) + " tokens but its merges give " + v.vocabSize());
        return v;
    }

    static TensorDType toProto(DType d) {
        return switch (d) {
            case F32 -> TensorDType.F32; case F16 -> TensorDType.F16; case BF16 -> TensorDType.BF16; case F64 -> TensorDType.F64;
            case I64 -> TensorDType.I64; case I32 -> TensorDType.I32; case I16 -> TensorDType.I16; case I8 -> TensorDType.I8;
            case U8 -> TensorDType.U8; case BOOL -> TensorDType.BOOL;
        };
    }

    static DType fromProto(TensorDType d, String tensor) {
        return switch (d) {
            case F32 -> DType.F32; case F16 -> DType.F16; case BF16 -> DType.BF16; case F64 -> DType.F64;
            case I64 -> DType.I64; case I32 -> DType.I32; case I16 -> DType.I16; case I8 -> DType.I8;
            case U8 -> DType.U8; case BOOL -> DType.BOOL;
            default -> throw new ClipFormatException("tensor '" + tensor + "' has an unknown dtype " + d);
        };
    }

    static io.flinkclip.io.nativefmt.proto.Preprocessing toProto(Preprocessing p) {
        var b = io.flinkclip.io.nativefmt.proto.Preprocessing.newBuilder().setResolution(p.resolution())
                .setInterpolation(io.flinkclip.io.nativefmt.proto.Interpolation.valueOf(p.interpolation().name()));
        for (float m : p.mean()) b.addMean(m);
        for (float s : p.std()) b.addStd(s);
        return b.build();
    }

    static Preprocessing fromProto(io.flinkclip.io.nativefmt.proto.Preprocessing p, String what) {
        Preprocessing.Interpolation interp = switch (p.getInterpolation()) {
            case BICUBIC -> Preprocessing.Interpolation.BICUBIC;
            case BILINEAR -> Preprocessing.Interpolation.BILINEAR;
            case NEAREST -> Preprocessing.Interpolation.NEAREST;
            default -> throw new ClipFormatException(what + ": preprocessing has no valid interpolation");
        };
        float[] mean = new float[p.getMeanCount()], std = new float[p.getStdCount()];
        for (int i = 0; i < mean.length; i++) mean[i] = p.getMean(i);
        for (int i = 0; i < std.length; i++) std[i] = p.getStd(i);
        if (p.getResolution() <= 0 || p.getResolution() > MAX_DIM) throw new ClipFormatException(what + ": invalid preprocessing resolution");
        return new Preprocessing(p.getResolution(), mean, std, interp);
    }
}
