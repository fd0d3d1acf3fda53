#!/usr/bin/env bash
# spark-submit recipe for Kubernetes (Spark's own scheduler, cluster mode): the driver runs in a
# pod, so Plumb runs in platform mode (cluster deploy mode: no System.exit, the platform's logging
# left alone, progress logged at INFO; see README "Exit codes"). CPU XGBoost from
# plumb-jobs-<version>-spark-submit.jar; Delta by --packages (plain Spark has none). Not yet run on
# a real Kubernetes cluster here.
#
#   MASTER=k8s://https://<api-server>:443 \
#   IMAGE=<registry>/spark:3.5.7-java17-hadoop-aws \
#   PLUMB_JAR_URL=s3a://my-plumb-bucket/plumb/jars/plumb-jobs-0.1.0-SNAPSHOT-spark-submit.jar \
#   cluster/kubernetes/submit-k8s.sh pipeline --conf s3a://my-plumb-bucket/plumb/conf/kubernetes.yaml [--set key=value]...
#
# IMAGE: Spark 3.5.x / Scala 2.12 on Java 17 (the official apache/spark:3.5.x-java17 images) with
# hadoop-aws and its AWS SDK bundle in /opt/spark/jars for s3a://. The driver pod resolves
# --packages from Maven Central (or set SPARK_JARS_REPOSITORIES to a mirror).
# Optional: NAMESPACE (plumb), SERVICE_ACCOUNT (spark: may create executor pods), EXECUTORS (2),
# EXECUTOR_CORES (4), EXECUTOR_MEMORY (8g), DRIVER_MEMORY (4g), SPARK_SUBMIT (spark-submit),
# MLFLOW_TOKEN_SECRET (a Kubernetes secret name:key holding the MLflow token, e.g. mlflow:token;
# it reaches the driver as MLFLOW_TRACKING_TOKEN and never the command line).
set -euo pipefail
: "${MASTER:?set MASTER to k8s://https://<api-server>:<port>}"
: "${IMAGE:?set IMAGE to a Spark 3.5 / Scala 2.12 / Java 17 image with hadoop-aws}"
: "${PLUMB_JAR_URL:?set PLUMB_JAR_URL to plumb-jobs-<version>-spark-submit.jar on s3a:// (or local:///... inside IMAGE)}"
SPARK_SUBMIT="${SPARK_SUBMIT:-spark-submit}"
EXTRA=()
if [[ -n "${MLFLOW_TOKEN_SECRET:-}" ]]; then
  EXTRA+=(--conf "spark.kubernetes.driver.secretKeyRef.MLFLOW_TRACKING_TOKEN=$MLFLOW_TOKEN_SECRET")
fi
if [[ -n "${SPARK_JARS_REPOSITORIES:-}" ]]; then
  EXTRA+=(--repositories "$SPARK_JARS_REPOSITORIES")
fi

exec "$SPARK_SUBMIT" \
  --master "$MASTER" \
  --deploy-mode cluster \
  --name plumb \
  --class dev.plumb.jobs.Plumb \
  --packages io.delta:delta-spark_2.12:3.3.2 \
  "${EXTRA[@]}" \
  --driver-memory "${DRIVER_MEMORY:-4g}" \
  --conf spark.kubernetes.namespace="${NAMESPACE:-plumb}" \
  --conf spark.kubernetes.container.image="$IMAGE" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName="${SERVICE_ACCOUNT:-spark}" \
  --conf spark.executor.instances="${EXECUTORS:-2}" \
  --conf spark.executor.cores="${EXECUTOR_CORES:-4}" \
  --conf spark.executor.memory="${EXECUTOR_MEMORY:-8g}" \
  --conf spark.task.cpus=1 \
  --conf spark.dynamicAllocation.enabled=false \
  --conf spark.jars.ivy=/tmp/.ivy2 \
  --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension \
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \
  "$PLUMB_JAR_URL" \
  "$@"
