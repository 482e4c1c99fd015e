package io.flinkclip.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkclip.io.ClipConfig;
import io.flinkclip.io.DType;
import io.flinkclip.io.SafeTensors;
import io.flinkclip.io.StateDict;
import io.flinkclip.io.Tensor;
import io.flinkclip.io.arch.ClipArchitectures;
import io.flinkclip.io.arch.ClipInit;
import io.flinkclip.kernels.device.CudaDevice;
import io.flinkclip.kernels.device.Device;
import io.flinkclip.kernels.device.Devices;
import io.flinkclip.model.device.DeviceClipModel;
import io.flinkclip.model.device.DeviceClipTraining;
import io.flinkclip.training.ClipModelTrainable;
import io.flinkclip.training.ClipTrainer;
import io.flinkclip.training.DeviceTrainableClip;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The GPU benchmark of issue 7: ViT image encoding (images/s) and a whole contrastive training step (pairs/s:
 * forward, loss, backward, AdamW; both with AdamW on the device and the Flink job's way, {@link DeviceTrainableClip}
 * with the host trainer) of flink-clip's device layer against PyTorch eager on the same GPU, the same
 * OpenAI-initialised weights and the same batch shapes, in one command, for each GEMM arithmetic (fp32, tf32, bf16).
 * <pre>GpuBench [--arch ViT-B/32] [--device cuda:0] [--batch 256] [--train-batch 128] [--seconds 10] [--maths fp32,tf32,bf16]
 *          [--python python3] [--no-torch] [--profile | --profile-math fp32|tf32|bf16] [--work DIR] [--json FILE]</pre>
 * Both sides take pixels from host memory and return embeddings to it (flink-clip's API works on host arrays; a Flink
 * operator's records are on the host); PyTorch is also timed with the pixels already on the GPU. Our bf16 keeps fp32
 * weights and activations and rounds each GEMM's operands to bf16 just before the product (BF16 tensor cores, FP32
 * accumulation); PyTorch's bf16 is autocast (per-op casts, fp32 weights).
 * Before timing, both embed the same 4 probe images in fp32 and the relative difference is printed (a parity check on
 * the full-size model). On a non-CUDA device (e.g. opencl:0:0 on PoCL, to try the command) only "fp32" is run.
 */
public final class GpuBench {
    public static void main(String[] args) throws Exception {
        String arch = "ViT-B/32", spec = "cuda:0", python = "python3";
        int batch = 256, trainBatch = 128;
        double seconds = 10;
        List<String> maths = List.of("fp32", "tf32", "bf16");
        boolean torch = true;
        String profileMath = null;
        Path work = Path.of("gpu-bench-work"), json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--arch" -> arch = args[++i];
                case "--device" -> spec = args[++i];
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--train-batch" -> trainBatch = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--maths" -> maths = List.of(args[++i].split(","));
                case "--python" -> python = args[++i];
                case "--no-torch" -> torch = false;
                case "--profile" -> profileMath = "fp32";
                case "--profile-math" -> profileMath = args[++i];
                case "--work" -> work = Path.of(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        boolean cuda = spec.startsWith("cuda");
        if (!cuda) maths = List.of("fp32");
        ClipConfig cfg = ClipArchitectures.get(arch);
        if (cfg.isResNet()) throw new IllegalArgumentException("the GPU bench times ViT models (the device backward covers ViT CLIP)");
        Files.createDirectories(work);
        StateDict sd = ClipInit.initialize(cfg, 0, DType.F32);
        Path weights = work.resolve("weights.safetensors");
        SafeTensors.write(weights, sd);
        int r = cfg.imageResolution(), per = 3 * r * r, probe = 4;
        float[] pixels = gaussian(batch * per, 1), trainPixels = gaussian(trainBatch * per, 2);
        int[][] tokens = ClipBench.texts(trainBatch, 16, cfg.contextLength(), new SplittableRandom(3));
        StateDict probeFile = new StateDict();
        probeFile.put(Tensor.of("pixels", new int[] {probe, 3, r, r}, java.util.Arrays.copyOf(pixels, probe * per)));
        SafeTensors.write(work.resolve("probe.safetensors"), probeFile);

        Map<String, Object> res = new LinkedHashMap<>();
        res.put("arch", arch);
        res.put("batch", batch);
        res.put("train_batch", trainBatch);
        Map<String, float[][]> probeEmbeds = new LinkedHashMap<>();
        for (String math : maths) {
            try (Device device = cuda ? CudaDevice.open(ordinal(spec), math) : Devices.open(spec)) {
                res.put("device", device.describe());
                try (DeviceClipModel model = DeviceClipModel.create(sd, cfg, device, batch)) {
                    probeEmbeds.put(math, model.encodeImages(java.util.Arrays.copyOf(pixels, probe * per), probe));
                    double s = time(() -> model.encodeImages(pixels, batchOf(pixels, per)), seconds);
                    res.put("ours_" + math + "_images_per_s", batch / s);
                    System.out.printf(Locale.ROOT, "flink-clip %s %s: %.1f images/s at batch %d%n", arch, math, batch / s, batch);
                }
                try (DeviceClipTraining training = DeviceClipTraining.create(sd, cfg, device)) {
                    DeviceClipTraining.AdamW hp = new DeviceClipTraining.AdamW(0.9f, 0.98f, 1e-6f, 0.2f);
                    int tb = trainBatch;
                    double s = time(() -> training.trainStep(trainPixels, tb, tokens, 1e-5f, hp, (name, shape) -> shape.length >= 2), seconds);
                    res.put("ours_" + math + "_train_pairs_per_s", trainBatch / s);
                    System.out.printf(Locale.ROOT, "flink-clip %s %s: %.1f training pairs/s at batch %d%n", arch, math, trainBatch / s, trainBatch);
                }
                // The Flink job's way (-Dclip.train.device): ClipTrainer (GradCache, loss, clipping, checkpoints) over device
                // passes, with AdamW resident on the device (the job's default) and, for comparison, on the host.
                for (boolean resident : new boolean[] {true, false}) {
                    try (DeviceTrainableClip dt = new DeviceTrainableClip(new ClipModelTrainable(sd.copy(), cfg), device, resident)) {
                        ClipTrainer trainer = new ClipTrainer(dt, TrainBench.options(trainBatch));
                        double s = time(() -> trainer.train(trainPixels, tokens), seconds);
                        String key = resident ? "_host_trainer_pairs_per_s" : "_host_trainer_host_adamw_pairs_per_s";
                        res.put("ours_" + math + key, trainBatch / s);
                        System.out.printf(Locale.ROOT, "flink-clip %s %s: %.1f pairs/s with the host trainer (DeviceTrainableClip, AdamW on the %s)%n",
                                arch, math, trainBatch / s, resident ? "device" : "host");
                    }
                }
                // trainStep once more, after the host trainers: shows how far the machine drifted between the rows
                try (DeviceClipTraining training = DeviceClipTraining.create(sd, cfg, device)) {
                    DeviceClipTraining.AdamW hp = new DeviceClipTraining.AdamW(0.9f, 0.98f, 1e-6f, 0.2f);
                    int tb = trainBatch;
                    double s = time(() -> training.trainStep(trainPixels, tb, tokens, 1e-5f, hp, (name, shape) -> shape.length >= 2), seconds);
                    res.put("ours_" + math + "_train_pairs_per_s_again", trainBatch / s);
                    System.out.printf(Locale.ROOT, "flink-clip %s %s: %.1f training pairs/s at batch %d (trainStep again, after the host trainers)%n",
                            arch, math, trainBatch / s, trainBatch);
                }
            } catch (RuntimeException e) {
                res.put("ours_" + math + "_error", String.valueOf(e));
                System.out.println("flink-clip " + math + " failed: " + e);
                e.printStackTrace(System.out);
            }
        }
        if (profileMath != null && cuda) profile(spec, profileMath, sd, cfg, pixels, trainPixels, tokens, batch, trainBatch);
        JsonNode peer = null;
        if (torch) {
            Path out = work.resolve("torch.json");
            List<String> cmd = new ArrayList<>(List.of(python, "bench/torch_clip.py", "gpu", "--weights", weights.toString(),
                    "--probe", work.resolve("probe.safetensors").toString(), "--batch", Integer.toString(batch), "--train-batch",
                    Integer.toString(trainBatch), "--seconds", Double.toString(seconds), "--maths", String.join(",", maths), "--json", out.toString()));
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            if (!p.waitFor(30, TimeUnit.MINUTES)) p.destroyForcibly();
            if (p.exitValue() == 0) {
                peer = new ObjectMapper().readTree(out.toFile());
                res.put("torch", peer);
            } else {
                System.out.println("PyTorch peer failed with exit code " + p.exitValue());
            }
        }
        if (peer != null && peer.has("probe_fp32")) {
            for (Map.Entry<String, float[][]> e : probeEmbeds.entrySet()) {
                double rel = relativeL2(e.getValue(), peer.get("probe_fp32"));
                res.put("probe_rel_l2_" + e.getKey() + "_vs_torch_fp32", rel);
                System.out.printf(Locale.ROOT, "probe embeddings, flink-clip %s vs PyTorch fp32: relative L2 %.2e%n", e.getKey(), rel);
            }
        }
        System.out.println();
        // second PyTorch column: images with the pixels already on the GPU; training with texts cut after the last EOT (16
        // tokens, the work flink-clip's text tower does) instead of the full 77-token context
        System.out.printf(Locale.ROOT, "| %s on %s | flink-clip | PyTorch | ratio | PyTorch (pixels on GPU / 16-token texts) | ratio |%n", arch, res.get("device"));
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (String math : maths) {
            row("images/s, batch " + batch + ", " + math, res.get("ours_" + math + "_images_per_s"), peer, math + "_images_per_s_host",
                    math + "_images_per_s_device");
            row("training pairs/s, batch " + trainBatch + ", " + math, res.get("ours_" + math + "_train_pairs_per_s"), peer,
                    math + "_train_pairs_per_s", math + "_train_pairs_per_s_text16");
            row("training pairs/s, host trainer (Flink job), batch " + trainBatch + ", " + math, res.get("ours_" + math + "_host_trainer_pairs_per_s"), peer,
                    math + "_train_pairs_per_s", math + "_train_pairs_per_s_text16");
            row("training pairs/s, host trainer with AdamW on the host, batch " + trainBatch + ", " + math,
                    res.get("ours_" + math + "_host_trainer_host_adamw_pairs_per_s"), peer, math + "_train_pairs_per_s", math + "_train_pairs_per_s_text16");
        }
        if (json != null) new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), res);
    }

    /** Per-kernel times of two inference calls and two training steps in {@code math} (-Dclip.cuda.profile: every op synchronises). */
    private static void profile(String spec, String math, StateDict sd, ClipConfig cfg, float[] pixels, float[] trainPixels, int[][] tokens,
                                int batch, int trainBatch) {
        System.setProperty("clip.cuda.profile", "true");
        try (CudaDevice device = CudaDevice.open(ordinal(spec), math)) {
            try (DeviceClipModel model = DeviceClipModel.create(sd, cfg, device, batch)) {
                model.encodeImages(pixels, batch);
                device.resetProfile();
                for (int i = 0; i < 2; i++) model.encodeImages(pixels, batch);
                System.out.println("profile: 2 × encodeImages, batch " + batch + ", " + math + "\n" + device.profileReport());
            }
            try (DeviceClipTraining training = DeviceClipTraining.create(sd, cfg, device)) {
                DeviceClipTraining.AdamW hp = new DeviceClipTraining.AdamW(0.9f, 0.98f, 1e-6f, 0.2f);
                training.trainStep(trainPixels, trainBatch, tokens, 1e-5f, hp, (name, shape) -> shape.length >= 2);
                device.resetProfile();
                long t0 = System.nanoTime();
                for (int i = 0; i < 2; i++) training.trainStep(trainPixels, trainBatch, tokens, 1e-5f, hp, (name, shape) -> shape.length >= 2);
                System.out.printf(Locale.ROOT, "profile: 2 × trainStep, batch %d, %s, %.1f ms wall%n%s%n", trainBatch, math, (System.nanoTime() - t0) / 1e6,
                        device.profileReport());
            }
            try (DeviceTrainableClip dt = new DeviceTrainableClip(new ClipModelTrainable(sd.copy(), cfg), device, true)) {
                ClipTrainer trainer = new ClipTrainer(dt, TrainBench.options(trainBatch));
                trainer.train(trainPixels, tokens);
                device.resetProfile();
                long t0 = System.nanoTime();
                for (int i = 0; i < 2; i++) trainer.train(trainPixels, tokens);
                System.out.printf(Locale.ROOT, "profile: 2 × ClipTrainer.train (resident AdamW), batch %d, %s, %.1f ms wall%n%s%n", trainBatch, math,
                        (System.nanoTime() - t0) / 1e6, device.profileReport());
            }
        } catch (RuntimeException e) {
            System.out.println("profile failed: " + e);
        } finally {
            System.clearProperty("clip.cuda.profile");
        }
    }

    private static void row(String what, Object ours, JsonNode peer, String hostKey, String deviceKey) {
        double o = ours instanceof Double d ? d : Double.NaN;
        double h = peer != null && peer.has(hostKey) ? peer.get(hostKey).asDouble() : Double.NaN;
        double dv = peer != null && deviceKey != null && peer.has(deviceKey) ? peer.get(deviceKey).asDouble() : Double.NaN;
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.2f× | %s | %s |%n", what, o, h, o / h,
                Double.isNaN(dv) ? "" : String.format(Locale.ROOT, "%.1f", dv), Double.isNaN(dv) ? "" : String.format(Locale.ROOT, "%.2f×", o / dv));
    }

    /** "cuda" or "cuda:N" → N (0 when absent). */
    private static int ordinal(String spec) { return spec.contains(":") ? Integer.parseInt(spec.substring(spec.indexOf(':') + 1)) : 0; }

    private static int batchOf(float[] pixels, int per) { return pixels.length / per; }

    /** Seconds per call: warm-up (≥ 2 calls and ≥ 2 s, so cuBLAS heuristics and the JIT settle), then calls for ≥ seconds and ≥ 3 calls. */
    static double time(Runnable call, double seconds) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 2 || System.nanoTime() - t0 < 2e9; i++) call.run();
        int n = 0;
        t0 = System.nanoTime();
        while (n < 3 || System.nanoTime() - t0 < seconds * 1e9) {
            call.run();
            n++;
        }
        return (System.nanoTime() - t0) / 1e9 / n;
    }

    private static float[] gaussian(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    private static double relativeL2(float[][] ours, JsonNode ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ours.length; i++) {
            for (int j = 0; j < ours[i].length; j++) {
                double w = ref.get(i).get(j).asDouble(), d = ours[i][j] - w;
                num += d * d;
                den += w * w;
            }
        }
        return Math.sqrt(num / den);
    }
}
