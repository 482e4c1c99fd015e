#!/usr/bin/env bash
# Builds gpu-bundle/: everything gpu/run-on-device.sh needs on a GPU machine that has no Java, Maven or network.
#   jre.tar.xz     jlink'd JRE (~15 MB), unpacked there to /tmp/jre
#   lib/           module classes + test classes as jars, their dependencies, the GpuTests launcher
#   shared.tar.xz  reference/tiny-vit and reference/tiny-rn-perturbed, trimmed (gpu/trim_reference.py)
#   build-info.txt the commit and dirty files the classes were built from
# It packages target/classes as they are: build first (mvn -o -q install -DskipTests, or test-compile).
# The bundle must stay well under the device tool's 64 MiB (repo's tracked files included, ~11 MiB):
# pass it as carry: ["gpu-bundle"] (it is git-ignored through .git/info/exclude).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH=$JAVA_HOME/bin:$PATH
SHARED=${SHARED:-$ROOT/../shared}
B=$ROOT/gpu-bundle
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
M2=${M2:-$HOME/.m2/repository}

# Main classes of these modules; test classes of the two whose device tests run.
MODULES="tornado-kernels model-io model tasks training benchmarks"
TEST_MODULES="tornado-kernels model training"
for m in $MODULES; do [ -d $m/target/classes ] || { echo "missing $m/target/classes: build first" >&2; exit 1; }; done
[ -f benchmarks/target/classes/io/flinkclip/bench/GpuBench.class ] || echo "WARNING: GpuBench.class not built yet" >&2

rm -rf "$B"
mkdir -p "$B/lib"

echo "== JRE"
# jdk.incubator.vector: the CPU kernels; jdk.unsupported: sun.misc.Unsafe users; the rest: logging, JMX, XML, JNDI, EC.
# No java.desktop (~10 MB): only image decoding (model.image) needs it, and neither the tests nor GpuBench decode images.
jlink --add-modules java.base,java.logging,java.management,jdk.incubator.vector,jdk.unsupported,java.xml,java.naming,jdk.crypto.ec \
  --strip-debug --no-man-pages --no-header-files --output "$TMP/jre" 2>&1 | grep -v 'incubator modules' || true
tar -C "$TMP/jre" -cf - . | xz -6 -T2 > "$B/jre.tar.xz"

echo "== dependencies"
# Test-scope classpath of every module the tests and the bench need; reactor modules come from target/ below.
mvn -o -q dependency:build-classpath -Dmdep.outputFile="$TMP/cp.txt" -Dmdep.appendOutput=true \
  -Dmdep.includeScope=test -pl model,benchmarks -am > "$TMP/mvn.log" 2>&1 || { cat "$TMP/mvn.log" >&2; exit 1; }
for j in $(tr ':' '\n' < "$TMP/cp.txt" | sort -u); do
  case "$j" in
    */io/flinkclip/*) ;;                       # our modules: packaged from target/ below
    */org/openjdk/jmh/*) ;;                     # JMH: only the kernels' JMH benchmarks (test sources) use it
    */onnxruntime-*.jar)                        # 139 MB of natives for 5 platforms: keep the Java classes only, so
      python3 - "$j" "$TMP/ort" <<'EOF'         # ClipBench still links; ONNX Runtime itself cannot run from the bundle
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
z.extractall(sys.argv[2], [n for n in z.namelist() if n.endswith(".class")])
EOF
      jar cf "$B/lib/$(basename "${j%.jar}")-classes.jar" -C "$TMP/ort" . ;;
    *) cp "$j" "$B/lib/" ;;
  esac
done
# The launcher is not on the test classpath (surefire brings its own): take the one matching junit-platform-engine.
PV=$(ls "$B"/lib/junit-platform-engine-*.jar | sed 's/.*engine-\(.*\)\.jar/\1/')
cp "$M2/org/junit/platform/junit-platform-launcher/$PV/junit-platform-launcher-$PV.jar" "$B/lib/"

echo "== flink-clip classes"
for m in $MODULES; do jar cf "$B/lib/flink-clip-$m.jar" -C $m/target/classes .; done
for m in $TEST_MODULES; do jar cf "$B/lib/flink-clip-$m-tests.jar" -C $m/target/test-classes .; done
javac -d "$TMP/launcher" -cp "$B/lib/*" gpu/src/GpuTests.java
jar cf "$B/lib/gpu-tests.jar" -C "$TMP/launcher" .

echo "== reference data"
python3 gpu/trim_reference.py "$SHARED/reference" "$TMP/shared/reference"
tar -C "$TMP/shared" -cf - reference | xz -6 -T2 > "$B/shared.tar.xz"

{ echo "built $(date -u +%FT%TZ) from $(git rev-parse --short HEAD)"; echo "uncommitted:"; git status --short; } > "$B/build-info.txt"

EXCLUDE=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$EXCLUDE")"
grep -qx '/gpu-bundle/' "$EXCLUDE" 2>/dev/null || echo '/gpu-bundle/' >> "$EXCLUDE"
du -sh "$B"/*; du -sh "$B"
