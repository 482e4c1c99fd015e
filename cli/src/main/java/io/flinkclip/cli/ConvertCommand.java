package io.flinkclip.cli;

import io.flinkclip.io.DType;
import io.flinkclip.io.TerminalProgress;
import io.flinkclip.io.convert.ModelConverter;
import io.flinkclip.io.convert.ModelFormat;
import io.flinkclip.io.nativefmt.NativeModel;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code clip convert --in PATH --out PATH [--to native|openai|hf] [--dtype f32|f16|bf16] [--vocab FILE]}: between
 * OpenAI/OpenCLIP-named safetensors, Hugging Face directories and the native format (docs/FORMAT.md).
 */
final class ConvertCommand implements ClipCli.Command {
    @Override
    public String summary() { return "convert models between native, OpenAI safetensors and Hugging Face formats"; }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(argv, 0, Set.of(), Set.of("in", "out", "to", "dtype", "vocab"));
        Path in = a.path("in"), out = a.path("out");
        ModelFormat to = a.has("to") ? ModelFormat.parse(a.require("to")) : ModelConverter.guess(out);
        DType dtype = switch (a.get("dtype", "f32").toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new Args.UsageException("--dtype must be f32, f16 or bf16");
        };
        Path vocab = a.has("vocab") ? a.path("vocab") : null;
        NativeModel m = ModelConverter.convert(in, vocab, out, to, dtype, TerminalProgress.forConsole());
        System.err.println("converted " + m.config() + " to " + to.name().toLowerCase(Locale.ROOT) + " (" + dtype + ") at " + out
                + (m.vocab() == null ? " — no vocabulary embedded (give --vocab)" : ""));
        return 0;
    }
}
