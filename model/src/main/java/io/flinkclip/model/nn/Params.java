package io.flinkclip.model.nn;

import io.flinkclip.kernels.PackedMatrix;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.DType;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * Validating access to the weights of an OpenAI-named state dict: every tensor a layer takes is checked for
 * presence, exact shape and finiteness, so a corrupt or mismatched checkpoint fails at load time with one
 * {@link ClipFormatException} naming the tensor instead of producing silent garbage at inference time.
 */
public final class Params {
    /** Entries of OpenAI checkpoints that are not weights (build_model drops the first three). */
    private static final Set<String> NOT_WEIGHTS = Set.of("input_resolution", "context_length", "vocab_size");
    private final StateDict sd;
    private final Set<String> used = java.util.concurrent.ConcurrentHashMap.newKeySet(); // towers build on two threads
    private final boolean inference;
    private final java.util.concurrent.atomic.AtomicLong packedBytes = new java.util.concurrent.atomic.AtomicLong(),
            packed16Bytes = new java.util.concurrent.atomic.AtomicLong();

    /** Training-capable parameters: layers keep the state dict's arrays (shared, never copied). */
    public Params(StateDict sd) { this(sd, false); }

    /**
     * @param inference when true, layers pack or fold their weights for the fast inference path and
     *                  {@link #release} drops each consumed tensor from the state dict, so its unpacked array
     *                  can be collected while the rest of the model is still being built
     */
    public Params(StateDict sd, boolean inference) {
        this.sd = sd;
        this.inference = inference;
    }

    /** Whether layers are built for inference only (packed/folded weights, no backward pass). */
    public boolean inference() { return inference; }

    /**
     * A weight packed for the inference path, as it is kept: in 16 bits when every value is exactly a half or
     * bfloat16 ({@link PackedMatrix#compact()}; OpenAI's linear weights are fp16), else as given. Its size is
     * recorded for {@link #packedBytes()}.
     */
    PackedMatrix packed(PackedMatrix m) {
        PackedMatrix kept = m.compact();
        packedBytes.addAndGet(kept.bytes());
        if (kept.storage() != PackedMatrix.Storage.F32) packed16Bytes.addAndGet(kept.bytes());
        return kept;
    }

    /** Records packed weights held elsewhere (Winograd-transformed filters: always fp32). */
    void addPackedBytes(long bytes) { packedBytes.addAndGet(bytes); }

    /** Bytes of the weights packed so far, and of those held in 16 bits ({@link PackedMatrix#compact()}). */
    public long packedBytes() { return packedBytes.get(); }

    public long packed16Bytes() { return packed16Bytes.get(); }

    /** In inference mode, removes {@code name} from the state dict once its data has been packed or folded. */
    void release(String name) {
        if (inference) sd.remove(name);
    }

    /** The float data of {@code name}, which must have exactly {@code shape} and hold only finite values. */
    public float[] get(String name, int... shape) {
        float[] data = sd.floats(name, shape);
        used.add(name);
        requireFinite(name, data);
        return data;
    }

    /**
     * A weight for an inference layer to pack: a pending F16/BF16 tensor comes as its stored 16-bit values (never
     * widened to floats), any other as {@link #get}'s floats; checked for shape and finiteness either way.
     */
    WeightValues weight(String name, int... shape) {
        if (inference && takesStoredBits()) {
            short[] bits = sd.bits16(name, shape);
            if (bits != null) {
                PackedMatrix.Storage storage = sd.storedAs(name) == DType.F16 ? PackedMatrix.Storage.F16 : PackedMatrix.Storage.BF16;
                used.add(name);
                requireFinite(name, bits, storage);
                return WeightValues.ofBits16(bits, storage);
            }
        }
        return WeightValues.ofFloats(get(name, shape));
    }

    /**
     * Whether {@link #weight} hands out stored 16-bit values ({@code -Dclip.load.bits16=false}: always floats, the
     * earlier way, for load-time comparisons; read at each call so that one JVM can alternate).
     */
    private static boolean takesStoredBits() {
        return Boolean.parseBoolean(System.getProperty("clip.load.bits16", "true"));
    }

    /** A one-element tensor (0-dim, as OpenAI stores {@code logit_scale}, or shape [1]). */
    public float scalar(String name) {
        Tensor t = sd.get(name);
        if (t.numel() != 1 || t.data() == null) {
            throw new ClipFormatException("tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", expected a float scalar");
        }
        requireFinite(name, t.data());
        used.add(name);
        return t.data()[0];
    }

    /**
     * Fails on weights no layer took: they mean the config does not describe this checkpoint (e.g. fewer
     * layers than stored), which would otherwise silently drop part of the model.
     */
    public void requireAllUsed() {
        List<String> unused = new ArrayList<>();
        for (String name : sd.names()) {
            if (!used.contains(name) && !NOT_WEIGHTS.contains(name) && !name.endsWith(".num_batches_tracked")) unused.add(name);
        }
        if (!unused.isEmpty()) {
            Collections.sort(unused);
            throw new ClipFormatException(unused.size() + " tensor(s) not used by the configured architecture, e.g. '"
                    + unused.get(0) + "': the config does not match the checkpoint");
        }
    }

    public boolean has(String name) { return sd.has(name); }

    /** As {@link #requireFinite(String, float[])} on stored 16-bit values. */
    static void requireFinite(String name, short[] bits, PackedMatrix.Storage storage) {
        int i = PackedMatrix.firstNonFinite(bits, storage);
        if (i >= 0) requireFinite(name, PackedMatrix.widenValues(bits, i, 1, storage), i);
    }

    static void requireFinite(String name, float[] data) { requireFinite(name, data, 0); }

    /** Fails on the first non-finite value of data, whose element 0 is the tensor's element {@code at}. */
    private static void requireFinite(String name, float[] data, int at) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new ClipFormatException("tensor '" + name + "' holds a non-finite value (" + data[i] + ") at flat index " + (at + i));
            }
        }
    }
}
