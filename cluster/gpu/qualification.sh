#!/usr/bin/env bash
# NVIDIA's qualification tool over Spark event logs of a Plumb run (e.g. the ones
# cluster/gpu/readiness.sh writes): its estimate of the GPU speed-up (the qualx model), the
# unsupported operators and the recommended settings (the AutoTuner), offline. It installs
# spark-rapids-user-tools (pinned, from PyPI) into its own venv, .plumb/gpu-tools/venv, checks the
# tools jar the wheel bundles against its pinned SHA-256, and runs the `spark_rapids` wrapper for
# `--platform onprem` with a tools config that puts the project venv's Spark jars on the tool's
# classpath: without it the wrapper downloads a Spark distribution from archive.apache.org.
#   cluster/gpu/qualification.sh EVENT_LOG_DIR [OUT_DIR]
# Prints the estimated speed-up, its category and the recommended settings, then the output folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EVENTS="$(cd "${1:?usage: cluster/gpu/qualification.sh EVENT_LOG_DIR [OUT_DIR]}" && pwd)"
OUT="${2:-$ROOT/.plumb/gpu-qualification/$(date -u +%Y%m%d-%H%M%S)}"
TOOLS_VERSION="26.8.4"
JAR_VERSION="26.08.4"
JAR_SHA256="256d504a95bc61a3ae99287bf36eace78ac4bb4ce2be9720ee9d15134eed6dee"
VENV="$ROOT/.plumb/gpu-tools/venv"
PY="$("$ROOT/cluster/local/python-env.sh")"
if [[ ! -x "$VENV/bin/spark_rapids" ]] || ! "$VENV/bin/pip" show spark-rapids-user-tools 2>/dev/null | grep -q "^Version: $TOOLS_VERSION$"; then
  echo "Installing spark-rapids-user-tools==$TOOLS_VERSION into $VENV (first run only, ~1-2 min) ..." >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "spark-rapids-user-tools==$TOOLS_VERSION" >&2
fi
JAR="$("$VENV/bin/python" -c 'import spark_rapids_pytools, os; print(os.path.join(os.path.dirname(spark_rapids_pytools.__file__), "resources", "generated_files", "core", "jars"))')/rapids-4-spark-tools_2.12-$JAR_VERSION.jar"
if [[ ! -f "$JAR" ]] || [[ "$(sha256sum "$JAR" | cut -d' ' -f1)" != "$JAR_SHA256" ]]; then
  echo "Cannot use $JAR: missing, or its SHA-256 is not the pinned $JAR_SHA256" >&2
  exit 2
fi
SPARK_JARS="$("$PY" -c 'import pyspark, os; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
mkdir -p "$OUT"
cat >"$OUT/tools-config.yaml" <<EOF
api_version: '1.1'
runtime:
  dependencies:
    - name: the project venv's Spark jars
      uri: $SPARK_JARS/*
      dependency_type:
        dep_type: classpath
EOF
if ! "$VENV/bin/spark_rapids" qualification --platform onprem --eventlogs "$EVENTS" \
    --tools_jar "$JAR" --tools_config_file "$OUT/tools-config.yaml" --output_folder "$OUT" \
    >"$OUT/qualification.log" 2>&1; then
  echo "The qualification tool failed; last lines of $OUT/qualification.log:" >&2
  tail -20 "$OUT/qualification.log" >&2
  exit 1
fi
RUN="$(ls -d "$OUT"/qual_* | tail -1)"
"$PY" - "$RUN" <<'EOF'
import csv, glob, os, sys
run = sys.argv[1]
with open(os.path.join(run, "qualification_summary.csv"), newline="") as f:
    for row in csv.DictReader(f):
        print(f"{row['App Name']} ({row['App ID']}): estimated GPU speed-up {row['Estimated GPU Speedup']}x,"
              f" {row['Estimated GPU Speedup Category']}; unsupported operators' stages"
              f" {row['Unsupported Operators Stage Duration Percent']}% of SQL stage time"
              + (f"; why: {row['Not Recommended Reason']}" if row.get('Not Recommended Reason') else ""))
for conf in sorted(glob.glob(os.path.join(run, "qual_core_output", "tuning", "*-bootstrap.conf"))):
    print(f"recommended settings: {conf}")
    with open(conf) as f:
        print("  " + f.read().strip().replace("\n", "\n  "))
EOF
echo "$RUN"
