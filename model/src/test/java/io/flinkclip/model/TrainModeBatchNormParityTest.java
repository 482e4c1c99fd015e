package io.flinkclip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.model.nn.ClipBackward;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Train-mode BatchNorm against PyTorch's {@code model.train()} on the tiny ResNet reference (the shared
 * references are eval mode). The expected values come from {@code bench/bn_train_reference.py}: loss, every
 * BatchNorm parameter's gradient, the stem conv's gradient and every running statistic after the forward.
 */
class TrainModeBatchNormParityTest {
    @Test
    void lossGradientsAndRunningStatisticsMatchPyTorchTrainMode() throws Exception {
        StateDict expected;
        try (InputStream in = getClass().getResourceAsStream("tiny-rn-train-bn.safetensors")) {
            Path tmp = Files.createTempFile("tiny-rn-train-bn", ".safetensors");
            Files.write(tmp, in.readAllBytes());
            expected = SafeTensors.read(tmp);
            Files.delete(tmp);
        }
        ReferenceCase ref = ReferenceCase.load("tiny-rn-perturbed");
        StateDict weights = new StateDict();   // a private copy: train mode updates the running statistics in place
        for (Tensor t : ref.weights.tensors()) weights.put(t.isFloat() ? Tensor.of(t.name(), t.shape(), t.data().clone()) : t);
        ClipConfig cfg = ClipConfig.infer(weights).withHeads(8, 2);
        ClipModel model = ClipModel.fromStateDict(weights, cfg);
        model.setBatchNormTraining(true);
        int n = 8;
        ClipBackward.Result r = model.contrastiveGradients(ref.pixels(0, n), n, ref.tokens(0, n));

        double refLoss = expected.get("loss").data()[0];
        assertEquals(refLoss, r.loss(), 1e-5 * Math.abs(refLoss), "loss");
        int grads = 0, stats = 0;
        double worst = 0;
        for (Tensor t : expected.tensors()) {
            if (t.name().startsWith("grad.")) {
                String name = t.name().substring(5);
                worst = Math.max(worst, ReferenceCase.assertClose(name, t.data(), r.gradients().get(name), 1e-3));
                grads++;
            } else if (t.name().startsWith("after.")) {
                String name = t.name().substring(6);
                worst = Math.max(worst, ReferenceCase.assertClose(name, t.data(), weights.get(name).data(), 1e-5));
                stats++;
            }
        }
        System.out.printf("train-mode BatchNorm vs PyTorch: %d gradients, %d running statistics, worst max|Δ|/max|ref| %.2e%n", grads, stats, worst);
        assertTrue(grads >= 30 && stats >= 30, "reference file lists " + grads + " gradients and " + stats + " statistics");
    }
}
