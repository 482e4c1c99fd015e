package io.flinkclip.io.hf;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.ClipFormatException;
import io.flinkclip.io.ModelNaming;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.TestData;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class HfNamesTest {

    @Test
    void openAiToHfHasHfNamesAndShapes() {
        StateDict oai = SafeTensors.read(TestData.tinyVit());
        ClipConfig cfg = ClipConfig.infer(oai);
        StateDict hf = HfNames.toHf(oai);
        int w = cfg.visionWidth(), tw = cfg.textWidth(), e = cfg.embedDim();
        assertArrayEquals(new int[] {e, w}, hf.get("visual_projection.weight").shape());
        assertArrayEquals(new int[] {e, tw}, hf.get("text_projection.weight").shape());
        assertArrayEquals(new int[] {w, w}, hf.get("vision_model.encoder.layers.0.self_attn.q_proj.weight").shape());
        assertArrayEquals(new int[] {tw}, hf.get("text_model.encoder.layers.1.self_attn.v_proj.bias").shape());
        assertTrue(hf.has("vision_model.pre_layrnorm.weight"));
        assertTrue(hf.has("text_model.final_layer_norm.bias"));
        assertTrue(hf.has("text_model.encoder.layers.0.mlp.fc1.weight"));
        assertEquals(ModelNaming.HF, ModelNaming.detect(hf));
        assertEquals(oai.size() + 2 * (cfg.visionLayers()[0] + cfg.textLayers()) * 2, hf.size(), "in_proj weight+bias become 3 tensors each");
        // visual_projection.weight[j][i] == visual.proj[i][j]
        float[] p = oai.get("visual.proj").data(), q = hf.get("visual_projection.weight").data();
        assertEquals(p[3 * e + 5], q[5 * w + 3]);
        // k_proj is the middle third of in_proj_weight
        float[] in = oai.get("transformer.resblocks.0.attn.in_proj_weight").data();
        float[] k = hf.get("text_model.encoder.layers.0.self_attn.k_proj.weight").data();
        assertEquals(in[tw * tw + 7], k[7]);
    }

    @Test
    void roundTripIsBitExactIncludingFileBytes() throws Exception {
        StateDict oai = SafeTensors.read(TestData.tinyVit());
        StateDict hf = HfNames.toHf(oai);
        hf.put(new Tensor("text_model.embeddings.position_ids", io.flinkclip.io.DType.I64, new int[] {1, 77}, null, new long[77]));
        StateDict back = HfNames.toOpenAi(hf);
        TestData.assertBitExact(oai, back);
        assertEquals(ModelNaming.OPENAI, ModelNaming.detect(back));
        ByteArrayOutputStream a = new ByteArrayOutputStream(), b = new ByteArrayOutputStream();
        SafeTensors.write(a, oai);
        SafeTensors.write(b, back);
        assertArrayEquals(a.toByteArray(), b.toByteArray());
        // and HF → OpenAI → HF is the identity as well
        StateDict hf2 = HfNames.toHf(back);
        hf.remove("text_model.embeddings.position_ids");
        TestData.assertBitExact(hf, hf2);
    }

    @Test
    void resNetIsRefusedWithAClearMessage() {
        StateDict rn = SafeTensors.read(TestData.tinyRn());
        ClipFormatException e = assertThrows(ClipFormatException.class, () -> HfNames.toHf(rn));
        assertTrue(e.getMessage().contains("no ResNet CLIP"), e.getMessage());
    }

    @Test
    void incompleteOrForeignHfKeysAreRejected() {
        StateDict hf = HfNames.toHf(SafeTensors.read(TestData.tinyVit()));
        hf.remove("vision_model.encoder.layers.1.self_attn.k_proj.weight");
        assertThrows(ClipFormatException.class, () -> HfNames.toOpenAi(hf));
        StateDict hf2 = HfNames.toHf(SafeTensors.read(TestData.tinyVit()));
        hf2.put(Tensor.of("vision_model.encoder.layers.0.extra.weight", new int[] {1}, new float[1]));
        assertThrows(ClipFormatException.class, () -> HfNames.toOpenAi(hf2));
    }

    @Test
    void detectsOpenClipAndNormalisesTextPrefix() {
        StateDict oai = SafeTensors.read(TestData.tinyVit());
        StateDict oc = new StateDict();
        for (Tensor t : oai.tensors()) {
            String k = t.name();
            boolean text = k.startsWith("transformer.") || k.startsWith("token_embedding") || k.startsWith("ln_final")
                    || k.equals("positional_embedding") || k.equals("text_projection");
            oc.put(new Tensor(text ? "text." + k : k, t.storedAs(), t.shape(), t.data(), t.longs()));
        }
        oc.put(Tensor.of("logit_bias", new int[0], new float[] {-10f}));
        assertEquals(ModelNaming.OPENCLIP, ModelNaming.detect(oc));
        StateDict back = ModelNaming.toOpenAi(oc);
        assertEquals(ClipConfig.infer(oai), ClipConfig.infer(back));
        assertTrue(back.has("logit_bias"));
        StateDict withMeta = SafeTensors.read(TestData.tinyVit());
        withMeta.put(new Tensor("input_resolution", io.flinkclip.io.DType.I64, new int[0], null, new long[] {32}));
        assertEquals(ModelNaming.OPENAI, ModelNaming.detect(withMeta));
        assertFalse(ModelNaming.toOpenAi(withMeta).has("input_resolution"), "TorchScript-era metadata keys are dropped");
        StateDict junk = new StateDict().put(Tensor.of("foo", new int[] {1}, new float[1]));
        assertThrows(ClipFormatException.class, () -> ModelNaming.detect(junk));
    }

    @Test
    void hfConfigGivesHeadsAndDefaults() {
        String json = """
                {"model_type":"clip","projection_dim":768,
                 "text_config":{"hidden_size":768,"intermediate_size":3072,"num_attention_heads":12,"num_hidden_layers":12},
                 "vision_config":{"hidden_size":1024,"intermediate_size":4096,"num_attention_heads":16,"num_hidden_layers":24,
                                  "patch_size":14,"image_size":336}}""";
        HfConfig c = HfConfig.parse(json);
        ClipConfig k = c.clip();
        assertEquals(768, k.embedDim());
        assertEquals(336, k.imageResolution());
        assertEquals(16, k.visionHeads());
        assertEquals(12, k.textHeads());
        assertEquals(77, k.contextLength());
        assertEquals(49408, k.vocabSize());
        assertTrue(c.quickGelu());
        assertEquals(k, HfConfig.parse(HfConfig.toJson(k)).clip());
        // heads from the file, not width/64
        String odd = json.replace("\"num_attention_heads\":16", "\"num_attention_heads\":8");
        assertEquals(8, HfConfig.parse(odd).clip().visionHeads());
        assertThrows(ClipFormatException.class, () -> HfConfig.parse(json.replace("\"intermediate_size\":3072", "\"intermediate_size\":1000")));
        assertThrows(ClipFormatException.class, () -> HfConfig.parse("{\"model_type\":\"siglip\"}"));
        assertThrows(ClipFormatException.class, () -> HfConfig.parse("[1,2]"));
        assertEquals(16, HfConfig.parse(json.replace("text_config", "text_config_dict").replace("vision_config", "vision_config_dict")).clip().visionHeads());
        assertFalse(HfConfig.parse(json.replace("\"num_hidden_layers\":12}", "\"num_hidden_layers\":12,\"hidden_act\":\"gelu\"}")).quickGelu());
    }
}
