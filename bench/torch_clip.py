#!/usr/bin/env python3
"""PyTorch peer for `bin/clip bench`: an independent, compact CLIP (OpenAI's architecture) loaded from an
OpenAI-named safetensors file, timed in eager mode on the CPU and exported to ONNX for ONNX Runtime.

Usage:
  torch_clip.py bench  --weights W.safetensors --threads 2 --json OUT.json [--batches 1,32] [--seconds 5]
  torch_clip.py export --weights W.safetensors --out-dir DIR            (image.onnx, text.onnx)
  torch_clip.py train  --weights W.safetensors --batch 32 --steps 3 --json OUT.json
  torch_clip.py export-linear --shape M,N,K --out FILE.onnx          (one nn.Linear: the SGEMM table's ORT peer)
  torch_clip.py export-conv-chain --weights W.safetensors --shape SIDE,IN,MID,BLOCKS --out FILE.onnx
                       (1×1 conv + ReLU pairs IN→MID→IN with weights conv{l}.weight/bias: ConvChainBench's ORT peer)
  torch_clip.py gpu    --weights W.safetensors --batch 256 --train-batch 128 --maths fp32,tf32,bf16 --json OUT.json
                       [--probe P.safetensors]   (CUDA: GpuBench's peer; runs on any PyTorch with CUDA)
Written for Debian's python3-torch (1.13); reads safetensors with numpy so no extra package is needed.
"""
import argparse, contextlib, json, math, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DT = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        if v["dtype"] == "BF16":
            u = np.frombuffer(raw[base + b:base + e], dtype=np.uint16).astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(raw[base + b:base + e], dtype=DT[v["dtype"]])
        out[k] = torch.from_numpy(arr.reshape(v["shape"]).copy())
    return out


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, d, heads, mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads)
        self.ln_1 = nn.LayerNorm(d)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(d, 4 * d))
        self.mlp.add_module("gelu", QuickGELU())
        self.mlp.add_module("c_proj", nn.Linear(4 * d, d))
        self.ln_2 = nn.LayerNorm(d)
        self.mask = mask

    def forward(self, x):  # x: [L, N, D]
        m = None if self.mask is None else self.mask[: x.shape[0], : x.shape[0]]
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=m)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, d, layers, heads, mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(d, heads, mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class ViT(nn.Module):
    def __init__(self, res, patch, width, layers, out):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.positional_embedding = nn.Parameter(torch.zeros((res // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, width // 64)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.zeros(width, out))

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], 1) + self.positional_embedding)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0]) @ self.proj


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False); self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(planes)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False); self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride > 1 or cin != planes * 4:
            self.downsample = nn.Sequential()
            self.downsample.add_module("-1", nn.AvgPool2d(stride) if stride > 1 else nn.Identity())
            self.downsample.add_module("0", nn.Conv2d(cin, planes * 4, 1, bias=False))
            self.downsample.add_module("1", nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = F.relu(self.bn2(self.conv2(o)))
        o = self.bn3(self.conv3(self.avgpool(o)))
        return F.relu(o + (x if self.downsample is None else self.downsample(x)))


class AttnPool(nn.Module):
    def __init__(self, spacial, d, heads, out):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.zeros(spacial ** 2 + 1, d))
        self.k_proj = nn.Linear(d, d); self.q_proj = nn.Linear(d, d); self.v_proj = nn.Linear(d, d)
        self.c_proj = nn.Linear(d, out)
        self.heads = heads

    def forward(self, x):
        x = x.flatten(2).permute(2, 0, 1)
        x = torch.cat([x.mean(0, keepdim=True), x]) + self.positional_embedding[:, None, :]
        o, _ = F.multi_head_attention_forward(
            x[:1], x, x, x.shape[-1], self.heads, None,
            torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]), None, None, False, 0.0,
            self.c_proj.weight, self.c_proj.bias, training=False, need_weights=False, use_separate_proj_weight=True,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight)
        return o.squeeze(0)


class ResNet(nn.Module):
    def __init__(self, layers, out, heads, res, width):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width // 2, 3, 2, 1, bias=False); self.bn1 = nn.BatchNorm2d(width // 2)
        self.conv2 = nn.Conv2d(width // 2, width // 2, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(width // 2)
        self.conv3 = nn.Conv2d(width // 2, width, 3, 1, 1, bias=False); self.bn3 = nn.BatchNorm2d(width)
        self.avgpool = nn.AvgPool2d(2)
        cin = width
        for i, n in enumerate(layers):
            blocks = []
            for j in range(n):
                blocks.append(Bottleneck(cin, width * 2 ** i, (1 if i == 0 else 2) if j == 0 else 1))
                cin = width * 2 ** i * 4
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*blocks))
        self.attnpool = AttnPool(res // 32, width * 32, heads, out)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x))); x = F.relu(self.bn2(self.conv2(x))); x = F.relu(self.bn3(self.conv3(x)))
        x = self.avgpool(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.attnpool(x)


class CLIP(nn.Module):
    def __init__(self, sd, text_heads=None):
        super().__init__()
        embed = sd["text_projection"].shape[1]
        if "visual.proj" in sd:
            w = sd["visual.conv1.weight"].shape[0]; p = sd["visual.conv1.weight"].shape[-1]
            layers = len({k.split(".")[3] for k in sd if k.startswith("visual.transformer.resblocks.")})
            grid = round((sd["visual.positional_embedding"].shape[0] - 1) ** 0.5)
            self.resolution = p * grid
            self.visual = ViT(self.resolution, p, w, layers, embed)
        else:
            layers = [len({k.split(".")[2] for k in sd if k.startswith("visual.layer%d." % b)}) for b in (1, 2, 3, 4)]
            w = sd["visual.layer1.0.conv1.weight"].shape[0]
            self.resolution = round((sd["visual.attnpool.positional_embedding"].shape[0] - 1) ** 0.5) * 32
            self.visual = ResNet(layers, embed, w * 32 // 64, self.resolution, w)
        ctx, tw = sd["positional_embedding"].shape
        tl = len({k.split(".")[2] for k in sd if k.startswith("transformer.resblocks.")})
        mask = torch.full((ctx, ctx), float("-inf")).triu_(1)
        self.transformer = Transformer(tw, tl, text_heads or tw // 64, mask)
        self.token_embedding = nn.Embedding(sd["token_embedding.weight"].shape[0], tw)
        self.positional_embedding = nn.Parameter(torch.zeros(ctx, tw))
        self.ln_final = nn.LayerNorm(tw)
        self.text_projection = nn.Parameter(torch.zeros(tw, embed))
        self.logit_scale = nn.Parameter(torch.zeros([]))
        missing, unexpected = self.load_state_dict({k: v for k, v in sd.items()}, strict=False)
        real_missing = [m for m in missing if "num_batches" not in m]
        if real_missing or [u for u in unexpected if "num_batches" not in u]:
            raise SystemExit("weights do not fit: missing %s unexpected %s" % (real_missing[:5], unexpected[:5]))

    def encode_image(self, x):
        return self.visual(x)

    def encode_text(self, tokens):
        x = self.token_embedding(tokens) + self.positional_embedding[: tokens.shape[1]]
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0], device=x.device), tokens.argmax(-1)] @ self.text_projection


def texts(n, length, ctx=77):
    """Token rows like the JVM bench: SOT, length-2 ids, EOT, padding to the context length (77)."""
    t = torch.zeros(n, ctx, dtype=torch.long)
    g = torch.Generator().manual_seed(0)
    t[:, 0] = 49406
    t[:, 1:length - 1] = torch.randint(300, 40000, (n, length - 2), generator=g)
    t[:, length - 1] = 49407
    return t


def blas_library():
    """The BLAS that Debian's torch actually loaded (libblas.so.3 is an alternative: netlib or OpenBLAS)."""
    torch.randn(64, 64) @ torch.randn(64, 64)
    with open("/proc/self/maps") as f:
        libs = sorted({l.split()[-1] for l in f if "blas" in l.lower() and "/" in l})
    if libs and all("openblas" not in l for l in libs):
        print("warning: PyTorch runs on the reference BLAS (%s); install libopenblas0-pthread for a fair peer" % libs)
    return libs


def timeit(fn, seconds, warmup_seconds=0.0, min_runs=3):
    """Mean seconds per call: one warm-up call (more until warmup_seconds), then calls for ≥ seconds and ≥ min_runs."""
    t0 = time.perf_counter()
    fn()
    while time.perf_counter() - t0 < warmup_seconds:
        fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn(); n += 1
        if time.perf_counter() - t0 > seconds and n >= min_runs:
            return (time.perf_counter() - t0) / n


def set_math(math):
    """fp32: no TF32 anywhere; tf32: TF32 tensor cores for matmuls and convolutions; bf16: autocast (set per call)."""
    torch.backends.cuda.matmul.allow_tf32 = math == "tf32"
    torch.backends.cudnn.allow_tf32 = math == "tf32"


def gpu_bench(a, model):
    """Images/s (pixels from host memory and already on the GPU) and training pairs/s per GEMM arithmetic, on CUDA."""
    cuda = torch.cuda.is_available()  # False only for a smoke test of this script on a CPU machine
    dev = torch.device("cuda" if cuda else "cpu")
    model = model.to(dev)
    for blk in model.transformer.resblocks:  # the causal mask is a plain attribute, not a buffer: .to() skips it
        if blk.mask is not None:
            blk.mask = blk.mask.to(dev)
    R, ctx = model.resolution, model.positional_embedding.shape[0]
    res = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0) if cuda else "cpu"}
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    g = torch.Generator().manual_seed(1)
    px_host, tp_host = torch.randn(a.batch, 3, R, R, generator=g), torch.randn(a.train_batch, 3, R, R, generator=g)
    px_dev, tk_host = px_host.to(dev), texts(a.train_batch, 16, ctx)
    if a.probe:
        set_math("fp32")
        with torch.inference_mode():
            res["probe_fp32"] = model.encode_image(read_safetensors(a.probe)["pixels"].to(dev)).float().cpu().tolist()
    lab = torch.arange(a.train_batch, device=dev)
    for m in a.maths.split(","):
        set_math(m)
        amp = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if m == "bf16" else contextlib.nullcontext
        model.eval()
        with torch.inference_mode(), amp():
            res[m + "_images_per_s_host"] = a.batch / timeit(lambda: model.encode_image(px_host.to(dev)).float().cpu(), a.seconds, 2.0)

            def on_device():
                model.encode_image(px_dev)
                sync()
            res[m + "_images_per_s_device"] = a.batch / timeit(on_device, a.seconds, 2.0)
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2)

        def step(text_len):
            px, tk = tp_host.to(dev), tk_host[:, :text_len].to(dev)
            with amp():
                i = F.normalize(model.encode_image(px), dim=-1); t = F.normalize(model.encode_text(tk), dim=-1)
                logits = model.logit_scale.exp() * i @ t.t()
                loss = (F.cross_entropy(logits, lab) + F.cross_entropy(logits.t(), lab)) / 2
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
            return loss.item()  # synchronises, as flink-clip's step returns its loss to the host
        # the full 77-token context as open_clip trains, and cut after the last EOT (16), the work flink-clip does
        res[m + "_train_pairs_per_s"] = a.train_batch / timeit(lambda: step(ctx), a.seconds, 2.0, 3)
        res[m + "_train_pairs_per_s_text16"] = a.train_batch / timeit(lambda: step(16), a.seconds, 2.0, 3)
        print(m, {k: round(v, 1) for k, v in res.items() if k.startswith(m)}, flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["bench", "export", "train", "export-linear", "export-conv-chain", "gpu"])
    ap.add_argument("--weights")
    ap.add_argument("--shape")
    ap.add_argument("--out")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--out-dir")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup-seconds", type=float, default=0.0)
    ap.add_argument("--train-batch", type=int, default=128)
    ap.add_argument("--maths", default="fp32,tf32,bf16")
    ap.add_argument("--probe")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.mode == "export-linear":
        m, n, k = (int(x) for x in a.shape.split(","))
        with torch.no_grad():
            torch.onnx.export(nn.Linear(k, n), torch.randn(m, k), a.out, opset_version=14,
                              input_names=["x"], output_names=["y"])
        return
    if not a.weights:
        ap.error("--weights is required for " + a.mode)
    if a.mode == "export-conv-chain":
        side, cin, mid, blocks = (int(x) for x in a.shape.split(","))
        sd = read_safetensors(a.weights)
        layers = []
        for l in range(2 * blocks):
            w = sd["conv%d.weight" % l]
            if tuple(w.shape) != ((mid, cin, 1, 1) if l % 2 == 0 else (cin, mid, 1, 1)):
                ap.error("conv%d.weight has shape %s, not what --shape %s implies" % (l, tuple(w.shape), a.shape))
            conv = nn.Conv2d(w.shape[1], w.shape[0], 1)
            conv.weight.data.copy_(w)
            conv.bias.data.copy_(sd["conv%d.bias" % l])
            layers += [conv, nn.ReLU()]
        with torch.no_grad():
            torch.onnx.export(nn.Sequential(*layers).eval(), torch.randn(1, cin, side, side), a.out, opset_version=14,
                              input_names=["x"], output_names=["y"])
        return
    model = CLIP(read_safetensors(a.weights)).float().eval()
    R = model.resolution
    if a.mode == "export":
        with torch.no_grad():
            torch.onnx.export(model.visual, torch.randn(1, 3, R, R), a.out_dir + "/image.onnx", opset_version=14,
                              input_names=["pixels"], output_names=["embeds"], dynamic_axes={"pixels": {0: "n"}, "embeds": {0: "n"}})

            class Text(nn.Module):
                def __init__(self, m): super().__init__(); self.m = m
                def forward(self, t): return self.m.encode_text(t)
            torch.onnx.export(Text(model), texts(2, 77), a.out_dir + "/text.onnx", opset_version=14,
                              input_names=["tokens"], output_names=["embeds"],
                              dynamic_axes={"tokens": {0: "n", 1: "len"}, "embeds": {0: "n"}})
        return
    if a.mode == "gpu":
        res = gpu_bench(a, model)
    else:
        res = {"torch": torch.__version__, "threads": a.threads, "blas": blas_library()}
    if a.mode == "gpu":
        pass
    elif a.mode == "bench":
        with torch.inference_mode():
            for b in [int(x) for x in a.batches.split(",")]:
                px = torch.randn(b, 3, R, R)
                res["image_b%d_s" % b] = timeit(lambda: model.encode_image(px), a.seconds, a.warmup_seconds) / b
            for name, n, length in (("short", 32, 7), ("query", 1, 7), ("full", 32, 77)):
                tk = texts(n, length)
                res["text_%s_s" % name] = timeit(lambda: model.encode_text(tk), a.seconds, a.warmup_seconds) / n
    else:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.2)
        px, tk = torch.randn(a.batch, 3, R, R), texts(a.batch, 16, model.positional_embedding.shape[0])

        def step():
            i = F.normalize(model.encode_image(px), dim=-1); t = F.normalize(model.encode_text(tk), dim=-1)
            logits = model.logit_scale.exp() * i @ t.t(); lab = torch.arange(a.batch)
            loss = (F.cross_entropy(logits, lab) + F.cross_entropy(logits.t(), lab)) / 2
            opt.zero_grad(); loss.backward(); opt.step()
        res["train_step_s"] = timeit(step, a.seconds, a.warmup_seconds, a.steps)
        res["train_pairs_per_s"] = a.batch / res["train_step_s"]
    print(json.dumps({k: v for k, v in res.items() if not k.startswith("probe")}))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    main()
