#!/bin/bash
# EMR bootstrap action: an MLflow tracking server on the primary node only, at 127.0.0.1:5000,
# where the steps' drivers run (spark-submit --deploy-mode client), so conf/emr*.yaml track to
# http://127.0.0.1:5000. The server is the version of Plumb's Java client (the pin in
# cluster/local/requirements-mlflow.txt); it proxies artifacts to the S3 prefix given as $1
# (--artifacts-destination), written with the cluster's instance-profile credentials. Runs and
# metrics live in SQLite on the primary node and go with the cluster: for a server that outlives
# it, point tracking.uri at your own (RDS backend, same S3 prefix). Needs PyPI access (NAT).
#   bootstrap-mlflow.sh s3://my-plumb-bucket/plumb/mlflow-artifacts
set -euo pipefail
ARTIFACTS="${1:?usage: bootstrap-mlflow.sh s3://bucket/prefix}"
if ! grep -Eq '"isMaster": *true' /mnt/var/lib/info/instance.json; then
  exit 0
fi
VENV=/home/hadoop/mlflow-venv
STATE=/home/hadoop/mlflow
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check 'mlflow==2.17.2' 'sqlalchemy>=1.4,<2.1' boto3
mkdir -p "$STATE"
nohup "$VENV/bin/mlflow" server --host 127.0.0.1 --port 5000 \
  --backend-store-uri "sqlite:///$STATE/mlflow.db" \
  --artifacts-destination "$ARTIFACTS" \
  >"$STATE/server.log" 2>&1 </dev/null &
