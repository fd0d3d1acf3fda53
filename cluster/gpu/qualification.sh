#!/usr/bin/env bash
# NVIDIA's qualification tool over Spark event logs of a Plumb run (e.g. the ones
# cluster/gpu/readiness.sh writes): its estimate of the GPU speed-up, the unsupported operators and
# the recommended settings, offline. The tool's jar (rapids-4-spark-tools_2.12) is not on Maven
# Central; it ships inside the spark-rapids-user-tools wheel on PyPI, which this script downloads
# (no dependencies installed), checks and unpacks into .plumb/gpu-tools/. It runs the jar directly
# with the project venv's Spark jars: the `spark_rapids` wrapper wants to download a Spark
# distribution for `--platform onprem`.
#   cluster/gpu/qualification.sh EVENT_LOG_DIR [OUT_DIR]   -> prints the output folder
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EVENTS="${1:?usage: cluster/gpu/qualification.sh EVENT_LOG_DIR [OUT_DIR]}"
OUT="${2:-$ROOT/.plumb/gpu-qualification/$(date -u +%Y%m%d-%H%M%S)}"
TOOLS_VERSION="26.8.4"
JAR_VERSION="26.08.4"
JAR_SHA256="256d504a95bc61a3ae99287bf36eace78ac4bb4ce2be9720ee9d15134eed6dee"
DIR="$ROOT/.plumb/gpu-tools"
JAR="$DIR/rapids-4-spark-tools_2.12-$JAR_VERSION.jar"
PY="$("$ROOT/cluster/local/python-env.sh")"
if [[ ! -f "$JAR" ]] || [[ "$(sha256sum "$JAR" | cut -d' ' -f1)" != "$JAR_SHA256" ]]; then
  mkdir -p "$DIR/wheel"
  echo "Downloading spark-rapids-user-tools==$TOOLS_VERSION (the wheel only, ~6 MB) ..." >&2
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$DIR/wheel" "spark-rapids-user-tools==$TOOLS_VERSION" >&2
  WHEEL="$(ls "$DIR"/wheel/spark_rapids_user_tools-"$TOOLS_VERSION"-*.whl | head -1)"
  unzip -o -q -j "$WHEEL" "*/rapids-4-spark-tools_2.12-$JAR_VERSION.jar" -d "$DIR"
  if [[ "$(sha256sum "$JAR" | cut -d' ' -f1)" != "$JAR_SHA256" ]]; then
    echo "Cannot use $JAR: its SHA-256 is not the pinned $JAR_SHA256" >&2
    rm -f "$JAR"
    exit 2
  fi
fi
SPARK_JARS="$("$PY" -c 'import pyspark, os; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
mkdir -p "$OUT"
java -Xmx2g -cp "$JAR:$SPARK_JARS/*" com.nvidia.spark.rapids.tool.qualification.QualificationMain \
  --output-directory "$OUT" "$EVENTS" >"$OUT/qualification.log" 2>&1 || {
  echo "The qualification tool failed; last lines of $OUT/qualification.log:" >&2
  tail -20 "$OUT/qualification.log" >&2
  exit 1
}
echo "$OUT"
