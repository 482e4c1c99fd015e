package io.flinkclip.model;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Building for inference from pending weights (as every file loader now hands them over) decodes each tensor as
 * its layer packs it and drops it after: the build never holds more than a handful decoded at once, which is
 * what keeps the load-time peak at the packed model plus one tensor instead of plus the whole checkpoint.
 */
class PendingWeightsBuildTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-vit", "tiny-rn-perturbed"})
    void theInferenceBuildHoldsAFewDecodedTensorsAtATime(String name) {
        StateDict source = SafeTensors.read(ReferenceCase.dir(name).resolve("weights.safetensors"));
        StateDict pending = new StateDict();
        List<Set<String>> heldAtEachDecode = java.util.Collections.synchronizedList(new ArrayList<>());
        for (String n : source.names()) {
            pending.putPending(n, source.storedAs(n), source.shape(n), () -> {
                Set<String> held = new TreeSet<>(decoded(pending));
                held.add(n);
                heldAtEachDecode.add(held);
                return source.get(n);
            });
        }
        ClipConfig.infer(pending);
        assertTrue(heldAtEachDecode.isEmpty(), "inferring the architecture decodes nothing");
        ClipConfig cfg = ReferenceCase.load(name).config; // with the reference's text head count
        // The towers build on two threads and these decoders read the dictionary: a lock held across a decode would
        // deadlock here, so the build runs under a timeout.
        ClipModel fromPending = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> ClipModel.forInference(pending, cfg));
        assertTrue(heldAtEachDecode.size() > source.size() / 2, heldAtEachDecode.size() + " of " + source.size() + " tensors decoded");
        // What stays decoded is what the model keeps as is (biases, norms, embeddings: shared, not copies). Every
        // other tensor is packed or folded and dropped: at most one layer's worth per tower (a convolution and its
        // BatchNorm's four vectors; the two towers build at once) is ever held, never the checkpoint.
        Set<String> kept = decoded(pending);
        List<String> matricesKept = kept.stream().filter(n -> n.endsWith("weight") && pending.shape(n).length >= 2).toList();
        assertTrue(matricesKept.isEmpty(), "weights packed for inference are still held as floats: " + matricesKept);
        int most = 0;
        Set<String> worst = Set.of();
        for (Set<String> held : heldAtEachDecode) {
            Set<String> transientHeld = new TreeSet<>(held);
            transientHeld.removeAll(kept);
            if (transientHeld.size() > most) {
                most = transientHeld.size();
                worst = transientHeld;
            }
        }
        assertTrue(most >= 1 && most <= 10, "held " + most + " packed-and-dropped tensors at once: " + worst);

        ClipModel fromDecoded = ClipModel.forInference(SafeTensors.read(ReferenceCase.dir(name).resolve("weights.safetensors")), cfg);
        int r = cfg.imageResolution();
        float[] px = new float[2 * 3 * r * r];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < px.length; i++) px[i] = (float) rnd.nextGaussian();
        float[][] a = fromPending.encodeImages(px, 2), b = fromDecoded.encodeImages(px, 2);
        for (int i = 0; i < 2; i++) assertArrayEquals(b[i], a[i], 0f, "same bits from pending and decoded weights");
        int v = cfg.vocabSize();
        int[][] tokens = {{v - 2, 3, 1, 4, 1, 5, v - 1}};
        assertArrayEquals(fromDecoded.encodeTexts(tokens)[0], fromPending.encodeTexts(tokens)[0], 0f);
    }

    private static Set<String> decoded(StateDict sd) {
        Set<String> out = new TreeSet<>();
        for (String n : sd.names()) if (sd.isDecoded(n)) out.add(n);
        return out;
    }
}
