#!/usr/bin/env bash
# GPU readiness, measured on a CPU: runs a Plumb job through spark-submit with the RAPIDS
# Accelerator in explain-only mode (it plans every query for the GPU, logs what would run there and
# why not, and runs it on the CPU), with the thin GPU Plumb jar and the GPU build of XGBoost4J-Spark
# (cluster/gpu/fetch-jars.sh), then turns the driver log into a per-stage readiness report
# (cluster/gpu/readiness_report.py) and prints the path of its JSON.
#   cluster/gpu/readiness.sh                       # plumb demo on 20,000 demo rows, local standalone cluster
#   cluster/gpu/readiness.sh pipeline --conf my.yaml [--set key=value]...   # your own job
# Settings (environment): MASTER (default: the local standalone cluster, started by
# cluster/local/standalone.sh and stopped at the end if this script started it), OUT
# (.plumb/gpu-readiness/<time>), SPARK_SUBMIT (pyspark's, from the project venv), PLUMB_JAR
# (jobs/target/plumb-jobs-*-spark-submit-gpu.jar, built if missing).
# Needs no GPU. XGBoost trains on the CPU here: its GPU path turns on only with spark.plugins=
# com.nvidia.spark.SQLPlugin, which explain-only mode does not set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
JARS="$(cluster/gpu/fetch-jars.sh)"
RAPIDS_JAR="$(ls "$JARS"/rapids-4-spark_2.12-*.jar | head -1)"
XGBOOST_GPU_JAR="$(ls "$JARS"/xgboost4j-spark-gpu_2.12-*.jar | head -1)"
cluster/local/python-env.sh >/dev/null
SPARK_HOME="$(cluster/local/standalone.sh spark-home)"
SPARK_SUBMIT="${SPARK_SUBMIT:-$SPARK_HOME/bin/spark-submit}"
PLUMB_JAR="${PLUMB_JAR:-$(ls jobs/target/plumb-jobs-*-spark-submit-gpu.jar 2>/dev/null | head -1 || true)}"
if [[ -z "$PLUMB_JAR" ]]; then
  echo "Building the thin GPU Plumb jar (./mvnw -B -q package -DskipTests) ..." >&2
  ./mvnw -B -q package -DskipTests >&2
  PLUMB_JAR="$(ls jobs/target/plumb-jobs-*-spark-submit-gpu.jar | head -1)"
fi
if unzip -l "$PLUMB_JAR" | grep -q 'ml/dmlc/xgboost4j/'; then
  echo "Cannot check GPU readiness: $PLUMB_JAR carries XGBoost classes; the GPU jar must be the only XGBoost (rebuild with ./mvnw package)" >&2
  exit 2
fi
# Delta: the spark-submit jars carry none (platforms bring their own); here the build's own.
DELTA_VERSION="$(sed -n 's:.*<delta.version>\(.*\)</delta.version>.*:\1:p' pom.xml | head -1)"
M2="${MAVEN_REPO:-$HOME/.m2/repository}"
DELTA_JARS="$M2/io/delta/delta-spark_2.12/$DELTA_VERSION/delta-spark_2.12-$DELTA_VERSION.jar,$M2/io/delta/delta-storage/$DELTA_VERSION/delta-storage-$DELTA_VERSION.jar"
for j in ${DELTA_JARS//,/ }; do
  [[ -f "$j" ]] || { echo "Cannot find $j (run ./mvnw -B -q package -DskipTests once to resolve Delta $DELTA_VERSION)" >&2; exit 2; }
done
if [[ -z "${MASTER:-}" ]]; then
  # The local standalone cluster: stopped again at the end when this script started it.
  if ! cluster/local/standalone.sh status 2>/dev/null | grep -q '^running'; then
    trap 'cluster/local/standalone.sh stop >/dev/null 2>&1 || true' EXIT
  fi
  MASTER="$(cluster/local/standalone.sh start)"
fi
OUT="${OUT:-$ROOT/.plumb/gpu-readiness/$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT/events"
ARGS=("$@")
if [[ ${#ARGS[@]} -eq 0 ]]; then
  ARGS=(demo --conf conf/local.yaml --tracking none --set "work_dir=$OUT/work"
        --set "ingest.input=$OUT/work/demo-data" --set demo.rows=20000 --set demo.days=5
        --set train.num_round=20)
fi
# RAPIDS 25.04.0's newest Spark shim is 3.5.5; Spark 3.5.7 runs through it (explain-only plans, so
# an untested patch version only risks the plan text; RAPIDS says so in a warning).
SPARK_VERSION="$("$SPARK_SUBMIT" --version 2>&1 | sed -n 's/.*version \([0-9][0-9.]*\)$/\1/p' | head -1)"
SHIM=()
case "$SPARK_VERSION" in
  3.5.[6-9]*) SHIM=(--conf spark.rapids.shims-provider-override=com.nvidia.spark.rapids.shims.spark355.SparkShimServiceProvider) ;;
esac
echo "GPU readiness: $PLUMB_JAR + $(basename "$XGBOOST_GPU_JAR") + $(basename "$RAPIDS_JAR") on $MASTER (Spark $SPARK_VERSION), explain-only; log $OUT/driver.log" >&2
set +e
"$SPARK_SUBMIT" \
  --master "$MASTER" \
  --class dev.plumb.jobs.Plumb \
  --driver-memory 3g \
  --jars "$DELTA_JARS,$XGBOOST_GPU_JAR,$RAPIDS_JAR" \
  --conf spark.sql.extensions=com.nvidia.spark.rapids.SQLExecPlugin,io.delta.sql.DeltaSparkSessionExtension \
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \
  --conf spark.rapids.sql.enabled=true \
  --conf spark.rapids.sql.mode=explainOnly \
  --conf spark.rapids.sql.explain=ALL \
  --conf spark.rapids.sql.suppressPlanningFailure=true \
  "${SHIM[@]}" \
  --conf spark.eventLog.enabled=true \
  --conf "spark.eventLog.dir=file://$OUT/events" \
  "$PLUMB_JAR" "${ARGS[@]}" >"$OUT/driver.log" 2>&1
CODE=$?
set -e
if [[ $CODE -ne 0 ]]; then
  echo "The Plumb job under explain-only mode failed (exit $CODE); last lines of $OUT/driver.log:" >&2
  tail -30 "$OUT/driver.log" >&2
  exit $CODE
fi
# The XGBoost classes the job trained with must be the GPU jar's (Plumb logs where they came from).
if ! grep -q "XGBoost4J-Spark .* GPU build, from .*$(basename "$XGBOOST_GPU_JAR")" "$OUT/driver.log"; then
  echo "Cannot confirm the GPU XGBoost jar's classes were loaded: no 'XGBoost4J-Spark ... GPU build, from $(basename "$XGBOOST_GPU_JAR")' line in $OUT/driver.log" >&2
  grep "XGBoost4J-Spark" "$OUT/driver.log" >&2 || true
  exit 1
fi
"$(cluster/local/python-env.sh)" cluster/gpu/readiness_report.py "$OUT/driver.log" "$OUT/readiness.json"
echo "event logs (for cluster/gpu/qualification.sh): $OUT/events"
