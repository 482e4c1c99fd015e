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
            "tiny-vit, F16, hf", "tiny-rn-perturbed, F16, safetensors", "tiny-rn-perturbed, BF16, safetensors",
            "tiny-rn-perturbed, F16, native"})
    void storedValuesPackAsTheyAreAndComputeTheSameBits(String name, DType storage, String format) {
        Path file = sixteenBitCopy(name, storage, format);
        StateDict opened = open(file, format);
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

        StateDict decoded = open(file, format).decodeAll();
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

    /**
     * Random values written over a 16-bit file's tensor data never get past the build as anything but a model or one
     * clear error: some are infinities or NaNs, which the checks (on the stored bits, or on decoded floats) report.
     */
    @Test
    void corruptSixteenBitValuesFailCleanlyOrBuild() throws Exception {
        Path file = sixteenBitCopy("tiny-vit", DType.F16, "safetensors");
        byte[] clean = java.nio.file.Files.readAllBytes(file);
        long headerEnd = 8 + java.nio.ByteBuffer.wrap(clean, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        ClipConfig cfg = ReferenceCase.load("tiny-vit").config;
        SplittableRandom rnd = new SplittableRandom(5);
        int failed = 0;
        for (int trial = 0; trial < 40; trial++) {
            byte[] b = clean.clone();
            for (int f = 0; f < 16; f++) { // a random 16-bit value: 1 in 32 has every exponent bit set
                int at = (int) (headerEnd + 2 * rnd.nextLong((b.length - headerEnd) / 2));
                b[at] = (byte) rnd.nextInt(256);
                b[at + 1] = (byte) rnd.nextInt(256);
            }
            Path bad = dir.resolve("fuzz-" + trial + ".safetensors");
            java.nio.file.Files.write(bad, b);
            try {
                ClipModel.forInference(SafeTensors.open(bad), cfg);
            } catch (ClipFormatException e) {
                failed++;
                assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
            }
        }
        assertTrue(failed > 0 && failed < 40, failed + " of 40 corrupted files rejected");
    }

    private static StateDict open(Path file, String format) {
        return switch (format) {
            case "native" -> NativeModelFile.readPending(file).weights();
            case "hf" -> ModelConverter.load(file, null, Progress.NONE).weights();
            default -> SafeTensors.open(file);
        };
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
        if (format.equals("safetensors")) return st;
        Path converted = dir.resolve(name + "-" + storage + (format.equals("native") ? ".fclip" : "-hf"));
        ModelConverter.convert(st, null, converted, format.equals("native") ? ModelFormat.NATIVE : ModelFormat.HF_DIRECTORY, null, Progress.NONE);
        return converted;
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
