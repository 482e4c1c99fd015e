#!/usr/bin/env bash
# Runs on the GPU machine from the repo root, with gpu-bundle/ (made by gpu/bundle.sh) carried along:
#   bash gpu/run-on-device.sh [GpuBench args...]
# Writes $OUT/env.log, $OUT/tests.log, $OUT/bench.log, $OUT/summary.txt (few files: only 8 come back).
# Every step runs even when an earlier one failed; exit codes go to summary.txt.
# Locally (PoCL, no GPU): OUT=/tmp/gpu-out TEST_DEVICE=opencl:0:0 bash gpu/run-on-device.sh
set -u
cd "$(dirname "$0")/.."
B=gpu-bundle
OUT=${OUT:-/tmp/gpu-out}
TEST_DEVICE=${TEST_DEVICE:-cuda:0}
BENCH_ARGS=${BENCH_ARGS:-}                    # filled in by whoever runs the bench; "$@" is appended
TESTS_TIMEOUT=${TESTS_TIMEOUT:-240} BENCH_TIMEOUT=${BENCH_TIMEOUT:-300}   # seconds
SKIP_TESTS=${SKIP_TESTS:-}                    # non-empty: only the bench (e.g. a profiling run)
# TEST_CLASSES: the device test classes to run (default: all four below)
BUDGET=${BUDGET:-570}   # the device tool kills a command at 600 s: the bench gets what is left, so summary.txt is written
JRE=/tmp/jre SHARED=/tmp/clip-shared
rm -rf "$JRE" "$SHARED"; mkdir -p "$OUT" "$JRE" "$SHARED"

# tar -J needs the xz program; python3 (always there: PyTorch) unpacks .tar.xz by itself.
untar() { tar -xJf "$1" -C "$2" 2>/dev/null || python3 -c 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; }
untar $B/jre.tar.xz $JRE
untar $B/shared.tar.xz $SHARED

{
  cat $B/build-info.txt
  nvidia-smi
  echo "CUDA: $(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*') nvcc: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*')"
  ldconfig -p | grep -E 'libcuda\.so|libcublas'
  LIBS=$(timeout 30 find / \( -path /proc -o -path /sys -o -path /tmp \) -prune -o \( -name 'libcublas.so*' -o -name 'libcuda.so.1' \) -print 2>/dev/null)
  echo "$LIBS"
  # the enum values Cublas relies on (CUBLAS_COMPUTE_32F = 68, _FAST_TF32 = 77; CUDA_R_16BF = 14)
  grep -h -e 'CUBLAS_COMPUTE_32F' -e 'CUDA_R_16BF' $(timeout 20 find / \( -path /proc -o -path /sys \) -prune -o -name cublas_api.h -print 2>/dev/null | head -1)
  $JRE/bin/java -version 2>&1
} > "$OUT/env.log" 2>&1
# cuBLAS is dlopen'ed by name through FFM: give the SONAME file of the newest major (13, else 12) and put its
# folder on LD_LIBRARY_PATH so that its libcublasLt dependency resolves.
CUBLAS=
for m in 13 12; do CUBLAS=$(grep -m1 "/libcublas\.so\.$m\$" <<< "$LIBS") && break; done
[ -n "$CUBLAS" ] && export LD_LIBRARY_PATH="$(dirname "$CUBLAS")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The driver's libcuda.so.1 normally resolves by name; if the loader cache lacks it, name a found one (not a stub/compat copy).
CUDA_LIB=libcuda.so.1
ldconfig -p | grep -q 'libcuda\.so\.1 ' || CUDA_LIB=$(grep -v -e stubs -e compat <<< "$LIBS" | grep -m1 '/libcuda\.so\.1$' || echo libcuda.so.1)
echo "cuBLAS: ${CUBLAS:-none found (our own GEMM kernel is used)}; CUDA driver: $CUDA_LIB" | tee -a "$OUT/env.log"

# PoCL (OpenCL) replaces the JVM's signal handlers; the JDK's signal-chaining library keeps both (see pom.xml).
case $TEST_DEVICE in opencl*) export LD_PRELOAD=$JRE/lib/libjsig.so ;; esac
JAVA=("$JRE/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC
      -XX:ErrorFile="$OUT/hs_err_%p.log" -Dclip.cublas.library="${CUBLAS:-libcublas.so}"
      -Dclip.cuda.library="$CUDA_LIB" -cp "$B/lib/*")
# timeout sends SIGQUIT first (the JVM prints every thread's stack: shows where a hang is), SIGKILL 15 s later.
TEST_CLASSES=${TEST_CLASSES:-io.flinkclip.kernels.device.DeviceKernelsTest io.flinkclip.model.DeviceClipModelParityTest io.flinkclip.model.DeviceClipTrainingParityTest io.flinkclip.training.DeviceTrainableClipTest}
[ -n "$SKIP_TESTS" ] || timeout -s QUIT -k 15 $TESTS_TIMEOUT "${JAVA[@]}" -Xmx8g -Dclip.test.device="$TEST_DEVICE" -Dclip.shared.dir=$SHARED GpuTests \
  $TEST_CLASSES 2>&1 | tee "$OUT/tests.log"
TESTS_RC=${PIPESTATUS[0]}

LEFT=$((BUDGET - SECONDS - 20)); [ $LEFT -lt $BENCH_TIMEOUT ] && BENCH_TIMEOUT=$((LEFT > 10 ? LEFT : 10))
timeout -s QUIT -k 15 $BENCH_TIMEOUT "${JAVA[@]}" -Xmx32g io.flinkclip.bench.GpuBench $BENCH_ARGS "$@" 2>&1 | tee "$OUT/bench.log"
BENCH_RC=${PIPESTATUS[0]}

{
  echo "tests exit=$TESTS_RC bench exit=$BENCH_RC (124/137: timed out; bench limit ${BENCH_TIMEOUT}s; device $TEST_DEVICE; cuBLAS ${CUBLAS:-none}; ${SECONDS}s)"
  grep '^FAIL' "$OUT/tests.log" | head -20
  grep '^TESTS ' "$OUT/tests.log" || echo "TESTS no summary line (crashed or killed)"
  echo "--- bench.log, last 40 lines"
  tail -n 40 "$OUT/bench.log"
} > "$OUT/summary.txt"
echo "=== summary"; cat "$OUT/summary.txt"
