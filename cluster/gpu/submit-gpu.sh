#!/usr/bin/env bash
# spark-submit recipe for GPU training: the GPU variant of the shaded Plumb jar
# (plumb-jobs-<version>-spark-submit-gpu.jar: no XGBoost inside), the RAPIDS Accelerator for the
# Spark SQL part (ingest, features, evaluation) and the GPU build of XGBoost4J-Spark for training,
# which is then the only XGBoost on the classpath.
# Every setting is explained in cluster/README.md ("GPU"). NOT YET RUN ON A REAL GPU (see there).
#
#   MASTER=spark://host:7077 \
#   XGBOOST_GPU_JAR=/opt/jars/xgboost4j-spark-gpu_2.12-3.4.0.jar \
#   RAPIDS_JAR=/opt/jars/rapids-4-spark_2.12-25.04.0.jar \
#   cluster/gpu/submit-gpu.sh pipeline --conf conf/gpu.yaml [--set key=value]...
#
# cluster/gpu/fetch-jars.sh fetches that pinned pair (SHA-256 checked) into .plumb/gpu-jars/.
# Optional: EXECUTOR_CORES (8), EXECUTOR_MEMORY (16g), NUM_EXECUTORS (= GPUs to train on; YARN/K8s),
# SPARK_SUBMIT (spark-submit on PATH), PLUMB_JAR (jobs/target/plumb-jobs-*-spark-submit-gpu.jar).
# Delta: the cluster's own, or add DELTA_PACKAGES=io.delta:delta-spark_2.12:<delta.version>
# (plain Spark; see cluster/README.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${MASTER:?set MASTER to the cluster master URL (spark://..., yarn, k8s://...)}"
: "${XGBOOST_GPU_JAR:?set XGBOOST_GPU_JAR to xgboost4j-spark-gpu_2.12 3.4.0 (cluster/gpu/fetch-jars.sh fetches it; the only version Maven Central serves)}"
: "${RAPIDS_JAR:?set RAPIDS_JAR to rapids-4-spark_2.12 (a release with a Spark 3.5.x shim, e.g. 25.04.0)}"
EXECUTOR_CORES="${EXECUTOR_CORES:-8}"
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-16g}"
SPARK_SUBMIT="${SPARK_SUBMIT:-spark-submit}"
PLUMB_JAR="${PLUMB_JAR:-$(ls "$ROOT"/jobs/target/plumb-jobs-*-spark-submit-gpu.jar | head -1)}"
DISCOVERY="$ROOT/cluster/gpu/getGpusResources.sh"
# One GPU per executor; ETL tasks share it (1/cores each), XGBoost's training stage asks for a
# whole GPU per task through stage-level scheduling (XGBoost >= 2.1 on Spark >= 3.4).
TASK_GPU="$(awk "BEGIN { printf \"%.4f\", 1 / $EXECUTOR_CORES }")"

EXTRA=()
if [[ -n "${NUM_EXECUTORS:-}" ]]; then EXTRA+=(--num-executors "$NUM_EXECUTORS"); fi
if [[ -n "${DELTA_PACKAGES:-}" ]]; then EXTRA+=(--packages "$DELTA_PACKAGES"); fi

exec "$SPARK_SUBMIT" \
  --master "$MASTER" \
  --class dev.plumb.jobs.Plumb \
  "${EXTRA[@]}" \
  --jars "$XGBOOST_GPU_JAR,$RAPIDS_JAR" \
  --files "$DISCOVERY" \
  --executor-cores "$EXECUTOR_CORES" \
  --executor-memory "$EXECUTOR_MEMORY" \
  --conf spark.task.cpus=1 \
  --conf spark.dynamicAllocation.enabled=false \
  --conf spark.executor.resource.gpu.amount=1 \
  --conf "spark.task.resource.gpu.amount=$TASK_GPU" \
  --conf spark.executor.resource.gpu.discoveryScript=./getGpusResources.sh \
  --conf spark.plugins=com.nvidia.spark.SQLPlugin \
  --conf spark.rapids.sql.enabled=true \
  --conf spark.rapids.memory.gpu.pool=ASYNC \
  --conf spark.rapids.memory.gpu.allocFraction=0.5 \
  --conf spark.rapids.memory.gpu.maxAllocFraction=0.5 \
  --conf spark.rapids.memory.gpu.minAllocFraction=0 \
  --conf spark.rapids.memory.pinnedPool.size=2g \
  --conf spark.rapids.sql.concurrentGpuTasks=1 \
  --conf spark.rapids.sql.suppressPlanningFailure=true \
  --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension \
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \
  "$PLUMB_JAR" \
  "$@"
