package io.flinkclip.io.arch;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ClipArchitecturesTest {

    static List<String> names() { return new ArrayList<>(ClipArchitectures.names()); }

    @ParameterizedTest
    @MethodSource("names")
    void inferRecoversEveryReleasedArchitectureFromShapesAlone(String name) {
        ClipConfig c = ClipArchitectures.get(name);
        Map<String, int[]> shapes = OpenAiLayout.shapesFor(c);
        assertEquals(c, ClipConfig.infer(shapes), name);
        assertEquals(name, ClipArchitectures.nameOf(c));
    }

    @Test
    void nineModelsAndAliases() {
        assertEquals(9, ClipArchitectures.names().size());
        assertSame(ClipArchitectures.get("ViT-B/32"), ClipArchitectures.get("vit-b-32"));
        assertSame(ClipArchitectures.get("ViT-L/14@336px"), ClipArchitectures.get("ViT-L-14-336"));
        assertSame(ClipArchitectures.get("RN50x4"), ClipArchitectures.get("rn50X4"));
        assertNotSame(ClipArchitectures.get("RN50"), ClipArchitectures.get("RN50x4"));
        assertThrows(ClipFormatException.class, () -> ClipArchitectures.get("ViT-H/14"));
        ClipConfig l336 = ClipArchitectures.get("ViT-L/14@336px");
        assertEquals(577, l336.visionTokens());
        assertEquals(16, l336.visionHeads());
        assertEquals(64, ClipArchitectures.get("RN50x64").visionHeads());
    }

    /** Published parameter counts (trainable parameters; BatchNorm buffers excluded). */
    @Test
    void parameterCountsMatchOpenAi() {
        assertEquals(151_277_313L, params("ViT-B/32"));
        assertEquals(149_620_737L, params("ViT-B/16"));
        assertEquals(427_616_513L, params("ViT-L/14"));
    }

    private static long params(String name) {
        return OpenAiLayout.specs(ClipArchitectures.get(name)).stream()
                .filter(s -> !s.name().contains("running_") && !s.name().endsWith("num_batches_tracked"))
                .mapToLong(TensorSpec::numel).sum();
    }

    @Test
    void layoutMatchesTheReferenceFilesExactly() {
        for (Path p : List.of(TestData.tinyVit(), TestData.tinyRn())) {
            StateDict sd = SafeTensors.read(p);
            List<TensorSpec> specs = OpenAiLayout.specs(ClipConfig.infer(sd));
            assertEquals(sd.size(), specs.size(), p.toString());
            for (TensorSpec s : specs) {
                Tensor t = sd.get(s.name());
                assertArrayEquals(s.shape(), t.shape(), s.name());
                assertEquals(s.dtype(), t.storedAs(), s.name());
            }
        }
    }
}
