#!/usr/bin/env bash
# Runs DeviceOpBench (single device operations at ViT-B/32 shapes) on the GPU machine with gpu-bundle/ carried along:
#   bash gpu/op-bench-on-device.sh [DeviceOpBench args...]      → $OUT/ops.log
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT" /tmp/jre
tar -xJf gpu-bundle/jre.tar.xz -C /tmp/jre 2>/dev/null || python3 -c 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' gpu-bundle/jre.tar.xz /tmp/jre
timeout -s QUIT -k 10 ${OPS_TIMEOUT:-240} /tmp/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Dclip.cuda.noCublas=true -XX:ErrorFile="$OUT/hs_err_%p.log" -cp "gpu-bundle/lib/*" io.flinkclip.bench.DeviceOpBench "$@" 2>&1 | tee "$OUT/ops.log"
