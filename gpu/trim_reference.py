#!/usr/bin/env python3
"""Copies the two reference cases the device tests read, made small enough to travel (gpu/bundle.sh).

usage: trim_reference.py SRC_REFERENCE_DIR DST_REFERENCE_DIR

Two cuts, neither visible to DeviceKernelsTest, DeviceClipModelParityTest or DeviceClipTrainingParityTest:
- expected.safetensors of tiny-rn-perturbed keeps only the tensors those tests read (the full file is 18 MB of
  traces and float64 gradients); tiny-vit's is kept whole.
- token_embedding.weight ([49408, 64], 12.6 MB of the 13.5/18.4 MB weight files) keeps the rows of the token ids
  that the reference texts use (`tokens`, `tokenizer.tokens`); the other rows become 0. The model only gathers
  rows by id, and the gradient of an unused row is 0 either way, so every expected tensor stays valid, and the
  zeros compress to nothing in shared.tar.xz.
Plain json+struct (no numpy/torch here). Format: u64 LE header length, JSON header
{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?}, then the data.
"""
import json
import os
import shutil
import struct
import sys

# None keeps every tensor.
KEEP = {
    "tiny-vit": None,
    "tiny-rn-perturbed": ["tokens", "pixels", "image_embeds", "text_embeds", "logits_per_image", "logits_per_text"],
}
COPY = ["expected.json", "texts.json"]
COPY_IMAGES = {"tiny-vit"}  # no test of the bundle reads images/; tiny-vit keeps them (0.4 MB) to stay a whole case
TOKEN_EMBEDDING = "token_embedding.weight"


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    tensors = {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}
    return tensors, meta


def write(path, tensors, meta):
    header, chunks, off = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the format pads the header to 8 bytes with spaces
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def ints(t):
    dtype, _, raw = t
    assert dtype == "I32", dtype
    return struct.unpack("<%di" % (len(raw) // 4), raw)


def main(src, dst):
    for case, keep in KEEP.items():
        s, d = os.path.join(src, case), os.path.join(dst, case)
        os.makedirs(d, exist_ok=True)
        for f in COPY:
            shutil.copyfile(os.path.join(s, f), os.path.join(d, f))
        if case in COPY_IMAGES:
            shutil.copytree(os.path.join(s, "images"), os.path.join(d, "images"), dirs_exist_ok=True)

        expected, emeta = read(os.path.join(s, "expected.safetensors"))
        used = set(ints(expected["tokens"])) | set(ints(expected.get("tokenizer.tokens", ("I32", [], b""))))
        if keep is not None:
            missing = [k for k in keep if k not in expected]
            assert not missing, f"{case}: expected.safetensors lacks {missing}"
            expected = {k: expected[k] for k in keep}
        write(os.path.join(d, "expected.safetensors"), expected, emeta)

        weights, wmeta = read(os.path.join(s, "weights.safetensors"))
        dtype, shape, raw = weights[TOKEN_EMBEDDING]
        assert dtype == "F32" and len(shape) == 2, (dtype, shape)
        row = shape[1] * 4
        out = bytearray(len(raw))  # zeros
        for i in used:
            out[i * row:(i + 1) * row] = raw[i * row:(i + 1) * row]
        weights[TOKEN_EMBEDDING] = (dtype, shape, bytes(out))
        write(os.path.join(d, "weights.safetensors"), weights, wmeta)
        print(f"{case}: {len(expected)} expected tensors, {len(used)} of {shape[0]} token rows kept")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
