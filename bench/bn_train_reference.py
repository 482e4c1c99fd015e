#!/usr/bin/env python3
"""Train-mode BatchNorm reference for the JVM tests (the shared references are eval mode only).

PyTorch, model.train(), on ../shared/reference/tiny-rn-perturbed: the first 8 images paired with the first 8
texts, OpenAI's symmetric contrastive loss; writes the loss, the gradients of every BatchNorm parameter and of
the stem convolution, and every running_mean/running_var after the forward (momentum 0.1, unbiased variance).
Run: python3 bench/bn_train_reference.py ../shared/reference/tiny-rn-perturbed \
         model/src/test/resources/io/flinkclip/model/tiny-rn-train-bn.safetensors
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_clip import CLIP, read_safetensors  # noqa: E402


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    ref, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    sd = {k: v.float() if v.is_floating_point() else v for k, v in read_safetensors(ref + "/weights.safetensors").items()}
    exp = read_safetensors(ref + "/expected.safetensors")
    model = CLIP(sd, text_heads=2).train()
    n = 8
    pixels, tokens = exp["pixels"][:n].float(), exp["tokens"][:n].long()
    img = F.normalize(model.encode_image(pixels), dim=-1)
    txt = F.normalize(model.encode_text(tokens), dim=-1)
    logits = model.logit_scale.exp() * img @ txt.t()
    labels = torch.arange(n)
    loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    loss.backward()
    result = {"loss": loss.detach().reshape(())}
    for name, p in model.named_parameters():
        bn = ".bn" in name or "downsample.1." in name
        if name.startswith("visual.") and (bn or name == "visual.conv1.weight"):
            result["grad." + name] = p.grad
    for name, b in model.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            result["after." + name] = b
    write_safetensors(out, result)
    print("loss %.7f, %d tensors -> %s" % (loss.item(), len(result), out))


if __name__ == "__main__":
    main()
