#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript and
# spark.worker.resource.gpu.discoveryScript): prints the GPUs this host has, in the JSON form Spark
# expects, e.g. {"name": "gpu", "addresses":["0","1"]}. Spark calls it when an executor (or a
# standalone worker) starts and hands the addresses out to executors and tasks.
# Needs nvidia-smi on PATH. With no GPU it prints an empty address list, so an executor that asked
# for a GPU fails to start with Spark's own error instead of crashing inside XGBoost.
set -euo pipefail
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo '{"name": "gpu", "addresses":[]}'
  exit 0
fi
ADDRS="$(nvidia-smi --query-gpu=index --format=csv,noheader | tr -d ' ' | paste -sd, - | sed 's/,/","/g')"
if [[ -z "$ADDRS" ]]; then
  echo '{"name": "gpu", "addresses":[]}'
else
  echo "{\"name\": \"gpu\", \"addresses\":[\"$ADDRS\"]}"
fi
