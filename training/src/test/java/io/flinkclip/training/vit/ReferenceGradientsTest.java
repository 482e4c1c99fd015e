package io.flinkclip.training.vit;

import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.training.ReferenceParity;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kernels + contrastive loss + GradCache against PyTorch autograd on the tiny ViT reference batch. */
class ReferenceGradientsTest {
    private static final Path REF = Path.of(System.getProperty("clip.shared.dir", "../shared"), "reference");

    private static void check(String config, int visionHeads, int textHeads) {
        StateDict expected = SafeTensors.read(REF.resolve(config).resolve("expected.safetensors"));
        StateDict weights = SafeTensors.read(REF.resolve(config).resolve("weights.safetensors"));
        for (int chunk : new int[]{8, 3}) {   // plain full batch, then GradCache chunks of 3, 3, 2
            KernelClip model = new KernelClip(weights, visionHeads, textHeads);
            ReferenceParity.Report r = ReferenceParity.check(model, expected, 8, chunk);
            System.err.printf("%s chunk %d: loss %.7f (ref %.7f), gradient relative L2 %.2e%n", config, chunk, r.loss(), r.referenceLoss(), r.relativeL2());
            assertTrue(r.ok(), config + " chunk " + chunk + ": " + r.failures());
        }
    }

    @Test
    void tinyVitGradientsMatchAutograd() { check("tiny-vit", 1, 2); }

    /** Exercises conv, eval BatchNorm, ReLU, avgpool and attention-pool backward against autograd. */
    @Test
    void tinyResNetGradientsMatchAutograd() { check("tiny-rn-perturbed", 8, 2); }
}
