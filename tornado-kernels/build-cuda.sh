#!/usr/bin/env bash
# Compiles the shared kernel source as CUDA into a fatbin: SASS for sm_80 (A100) and sm_90 (H100/H200) plus
# PTX for compute_90 so newer GPUs JIT it. Warnings are errors. Usage: build-cuda.sh OUT_DIR
# Run by Maven's `cuda` profile (active when /usr/local/cuda/bin/nvcc exists); without nvcc the committed
# src/main/resources/.../clip_kernels.fatbin (made by this script) is used unchanged.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/src/main/resources/io/flinkclip/kernels/device}"
nvcc="${NVCC:-/usr/local/cuda/bin/nvcc}"
mkdir -p "$out"
"$nvcc" -fatbin -Werror all-warnings -Xptxas -warn-spills \
  -I "$here/src/main/resources/io/flinkclip/kernels/device" \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
  -o "$out/clip_kernels.fatbin" "$here/src/main/cuda/clip_kernels.cu"
# The digest of the sources it was built from: MockCudaTest fails when the committed fatbin is older than the kernels.
cat "$here/src/main/resources/io/flinkclip/kernels/device/prelude_cuda.h" "$here/src/main/resources/io/flinkclip/kernels/device/clip_kernels.h" \
  | sha256sum | cut -d' ' -f1 > "$out/clip_kernels.fatbin.sha256"
echo "wrote $out/clip_kernels.fatbin"
