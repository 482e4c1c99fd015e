package io.flinkclip.model.nn;

import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;

import java.util.Arrays;

/**
 * Validating access to the weights of an OpenAI-named state dict: every tensor a layer takes is checked for
 * presence, exact shape and finiteness, so a corrupt or mismatched checkpoint fails at load time with one
 * {@link ClipFormatException} naming the tensor instead of producing silent garbage at inference time.
 */
public final class Params {
    private final StateDict sd;

    public Params(StateDict sd) { this.sd = sd; }

    /** The float data of {@code name}, which must have exactly {@code shape} and hold only finite values. */
    public float[] get(String name, int... shape) {
        float[] data = sd.floats(name, shape);
        requireFinite(name, data);
        return data;
    }

    /** A one-element tensor (0-dim, as OpenAI stores {@code logit_scale}, or shape [1]). */
    public float scalar(String name) {
        Tensor t = sd.get(name);
        if (t.numel() != 1 || t.data() == null) {
            throw new ClipFormatException("tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", expected a float scalar");
        }
        requireFinite(name, t.data());
        return t.data()[0];
    }

    public boolean has(String name) { return sd.has(name); }

    static void requireFinite(String name, float[] data) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new ClipFormatException("tensor '" + name + "' holds a non-finite value (" + data[i] + ") at flat index " + i);
            }
        }
    }
}
