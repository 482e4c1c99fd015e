package io.flinkclip.training.vit;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.training.ReferenceParity;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kernels + contrastive loss + GradCache against PyTorch autograd on the tiny ViT reference batch. */
class ReferenceGradientsTest {
    private static final Path REF = Path.of(System.getProperty("clip.shared.dir", "../shared"), "reference", "tiny-vit");

    @Test
    void tinyVitGradientsMatchAutograd() {
        StateDict expected = SafeTensors.read(REF.resolve("expected.safetensors"));
        StateDict weights = SafeTensors.read(REF.resolve("weights.safetensors"));
        for (int chunk : new int[]{8, 3}) {   // plain full batch, then GradCache chunks of 3, 3, 2
            TinyVitClip model = new TinyVitClip(weights, 1, 2);
            ReferenceParity.Report r = ReferenceParity.check(model, expected, 8, chunk);
            System.err.printf("tiny-vit chunk %d: loss %.7f (ref %.7f), gradient relative L2 %.2e%n", chunk, r.loss(), r.referenceLoss(), r.relativeL2());
            assertTrue(r.ok(), "chunk " + chunk + ": " + r.failures());
        }
    }
}
