#!/bin/bash
# Cluster-scoped init script of the GPU job cluster (cluster/databricks/databricks.yml, plumb_gpu):
# runs on every node before Spark starts. It makes xgboost4j-spark-gpu_2.12 the only XGBoost on
# the classpath (the ML GPU runtime ships its own, older XGBoost jars in /databricks/jars) and puts
# the RAPIDS Accelerator there, where the plugin must be when the driver and executors start.
# The jars come from the Unity Catalog volume (no internet access needed); the job cluster's
# spark_env_vars name them: PLUMB_JARS_DIR, PLUMB_XGBOOST_GPU_JAR, PLUMB_RAPIDS_JAR.
set -euo pipefail
: "${PLUMB_JARS_DIR:?set PLUMB_JARS_DIR in the job cluster spark_env_vars}"
: "${PLUMB_XGBOOST_GPU_JAR:?set PLUMB_XGBOOST_GPU_JAR in the job cluster spark_env_vars}"
: "${PLUMB_RAPIDS_JAR:?set PLUMB_RAPIDS_JAR in the job cluster spark_env_vars}"
for jar in "$PLUMB_XGBOOST_GPU_JAR" "$PLUMB_RAPIDS_JAR"; do
  if [[ ! -f "$PLUMB_JARS_DIR/$jar" ]]; then
    echo "init-gpu.sh: $PLUMB_JARS_DIR/$jar is missing (upload it, see cluster/README.md)" >&2
    exit 1
  fi
done
rm -f /databricks/jars/*xgboost4j*
cp "$PLUMB_JARS_DIR/$PLUMB_XGBOOST_GPU_JAR" "$PLUMB_JARS_DIR/$PLUMB_RAPIDS_JAR" /databricks/jars/
