package io.flinkclip.cli;

import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.DType;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;

import java.util.Locale;
import java.util.Set;

/**
 * {@code clip init --arch NAME --out FILE.safetensors [--seed S] [--dtype f32|f16|bf16]}: randomly initialised
 * weights with OpenAI's {@code initialize_parameters} scheme, OpenAI key names (for benchmarks and training
 * from scratch).
 */
final class InitCommand implements ClipCli.Command {
    @Override
    public String summary() { return "write randomly initialised weights of a named architecture"; }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(argv, 0, Set.of(), Set.of("arch", "out", "seed", "dtype"));
        String arch = a.require("arch");
        ClipConfig cfg;
        try {
            cfg = ClipArchitectures.get(arch);
        } catch (RuntimeException e) {
            throw new Args.UsageException("unknown --arch '" + arch + "'; known: " + String.join(", ", ClipArchitectures.names()));
        }
        long seed = Long.parseLong(a.get("seed", "0"));
        DType dtype = switch (a.get("dtype", "f32").toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new Args.UsageException("--dtype must be f32, f16 or bf16");
        };
        StateDict out = ClipInit.initialize(cfg, seed, dtype);
        out.metadata().put("clip.arch", arch);
        out.metadata().put("clip.init_seed", Long.toString(seed));
        out.metadata().put("clip.vision_heads", Integer.toString(cfg.visionHeads()));
        out.metadata().put("clip.text_heads", Integer.toString(cfg.textHeads()));
        SafeTensors.write(a.path("out"), out);
        System.err.println("wrote " + cfg + " (" + out.size() + " tensors, seed " + seed + ") to " + a.path("out"));
        return 0;
    }
}
