package io.flinkclip.model;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.convert.ModelFormat;
import io.flinkclip.io.Progress;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.convert.ModelConverter;
import io.flinkclip.io.nativefmt.NativeModelFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Weights stored in 16 bits (OpenAI's fp16 releases, bfloat16 conversions) go from the file into the packed inference
 * layers as they are stored ({@code StateDict.bits16}), never widened to floats and narrowed back: no weight matrix
 * is decoded as floats, and the model computes bit for bit what the same file decoded whole computes.
 */
class SixteenBitWeightsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"tiny-vit, F16, safetensors", "tiny-vit, BF16, safetensors", "tiny-vit, F16, native",
            "tiny-rn-perturbed, F16, safetensors", "tiny-rn-perturbed, BF16, safetensors", "tiny-rn-perturbed, F16, native"})
    void storedValuesPackAsTheyAreAndComputeTheSameBits(String name, DType storage, String format) {
        Path file = sixteenBitCopy(name, storage, format);
        StateDict opened = format.equals("native") ? NativeModelFile.readPending(file).weights() : SafeTensors.open(file);
        // The same dictionary, recording which tensors are decoded to floats.
        Set<String> decodedAsFloats = ConcurrentHashMap.newKeySet();
        StateDict watched = new StateDict();
        for (String n : opened.names()) {
            int[] shape = opened.shape(n);
            boolean sixteen = opened.storedAs(n) == DType.F16 || opened.storedAs(n) == DType.BF16;
            watched.putPending(n, opened.storedAs(n), shape, () -> {
                decodedAsFloats.add(n);
                return opened.peek(n);
            }, sixteen ? () -> opened.bits16(n, shape) : null);
        }
        ClipConfig cfg = ReferenceCase.load(name).config;
        ClipModel fromBits = ClipModel.forInference(watched, cfg);
        Set<String> matrices = new TreeSet<>();
        for (String n : decodedAsFloats) if (isPackedMatrix(n, opened.shape(n))) matrices.add(n);
        assertTrue(matrices.isEmpty(), "weight matrices decoded to floats instead of packed from their stored bits: " + matrices);
        assertFalse(decodedAsFloats.isEmpty(), "biases and norms are still read as floats");

        StateDict decoded = format.equals("native") ? NativeModelFile.read(file).weights() : SafeTensors.read(file);
        ClipModel fromFloats = ClipModel.forInference(decoded, cfg);
        int r = cfg.imageResolution();
        float[] px = new float[2 * 3 * r * r];
        SplittableRandom rnd = new SplittableRandom(11);
        for (int i = 0; i < px.length; i++) px[i] = (float) rnd.nextGaussian();
        float[][] a = fromBits.encodeImages(px, 2), b = fromFloats.encodeImages(px, 2);
        for (int i = 0; i < 2; i++) assertArrayEquals(b[i], a[i], 0f, "image " + i + ": same bits from stored 16-bit values and from floats");
        int v = cfg.vocabSize();
        int[][] tokens = {{v - 2, 3, 1, 4, 1, 5, v - 1}, {v - 2, 9, 2, 6, v - 1}};
        float[][] ta = fromBits.encodeTexts(tokens), tb = fromFloats.encodeTexts(tokens);
        for (int i = 0; i < tokens.length; i++) assertArrayEquals(tb[i], ta[i], 0f, "text " + i);
    }

    @Test
    void aNonFiniteStoredValueIsReportedWithItsIndex() {
        StateDict sd = sixteenBit(SafeTensors.read(ReferenceCase.dir("tiny-vit").resolve("weights.safetensors")), DType.F16);
        String bad = "transformer.resblocks.0.mlp.c_fc.weight";
        Tensor t = sd.get(bad);
        float[] d = t.data().clone();
        d[37] = Float.POSITIVE_INFINITY;
        sd.put(new Tensor(bad, DType.F16, t.shape(), d, null));
        Path file = dir.resolve("inf.safetensors");
        SafeTensors.write(file, sd);
        ClipConfig cfg = ReferenceCase.load("tiny-vit").config;
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> ClipModel.forInference(SafeTensors.open(file), cfg));
        assertTrue(e.getMessage().contains("'" + bad + "' holds a non-finite value (Infinity) at flat index 37"), e.getMessage());
    }

    /** Tensors an inference build packs or folds (weight matrices, filters, projections, the token table). */
    private static boolean isPackedMatrix(String name, int[] shape) {
        return shape.length >= 2 && (name.endsWith("weight") || name.endsWith("proj") || name.equals("text_projection"));
    }

    /** The reference model with its floats stored as {@code storage}, plus a -0 and a subnormal in every weight matrix. */
    private Path sixteenBitCopy(String name, DType storage, String format) {
        StateDict sd = sixteenBit(SafeTensors.read(ReferenceCase.dir(name).resolve("weights.safetensors")), storage);
        Path st = dir.resolve(name + "-" + storage + ".safetensors");
        SafeTensors.write(st, sd);
        if (!format.equals("native")) return st;
        Path nat = dir.resolve(name + "-" + storage + ".fclip");
        ModelConverter.convert(st, null, nat, ModelFormat.NATIVE, null, Progress.NONE);
        return nat;
    }

    private static StateDict sixteenBit(StateDict source, DType storage) {
        StateDict out = new StateDict();
        float tiny = storage == DType.F16 ? Float.float16ToFloat((short) 1) : Float.intBitsToFloat(1 << 16); // smallest subnormals
        for (Tensor t : source.tensors()) {
            if (t.data() == null) {
                out.put(t);
                continue;
            }
            float[] d = t.data().clone();
            if (t.shape().length >= 2 && t.name().endsWith("weight") && d.length > 2) { // values that must pass bit for bit
                d[0] = -0f;
                d[1] = -tiny;
            }
            out.put(new Tensor(t.name(), storage, t.shape(), d, null));
        }
        return out;
    }
}
