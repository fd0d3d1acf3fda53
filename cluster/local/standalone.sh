#!/usr/bin/env bash
# A Spark standalone cluster on 127.0.0.1: one master and two workers (1 core, 1 GiB each), run
# from pyspark's bundled Spark distribution in .plumb/venv (pyspark==3.5.7, the build's Spark; see
# requirements-spark.txt). For trying spark-submit and multi-executor XGBoost on one machine.
#   cluster/local/standalone.sh start    -> prints the master URL (spark://127.0.0.1:7077)
#   cluster/local/standalone.sh stop | status
#   cluster/local/standalone.sh spark-home   -> prints SPARK_HOME (its bin/spark-submit submits)
# Settings (environment): PLUMB_SPARK_MASTER_PORT (7077), PLUMB_SPARK_MASTER_WEBUI_PORT (8080),
# PLUMB_SPARK_WORKERS (2), PLUMB_SPARK_WORKER_CORES (1), PLUMB_SPARK_WORKER_MEMORY (1g),
# PLUMB_STANDALONE_DIR (.plumb/standalone: pid files, logs, worker dirs).
# Each daemon's pid is in <dir>/master.pid and <dir>/worker-<n>.pid; killing a worker's pid kills
# its executor too (the executor watches its worker and exits when it goes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${PLUMB_SPARK_MASTER_PORT:-7077}"
UI_PORT="${PLUMB_SPARK_MASTER_WEBUI_PORT:-8080}"
WORKERS="${PLUMB_SPARK_WORKERS:-2}"
CORES="${PLUMB_SPARK_WORKER_CORES:-1}"
MEMORY="${PLUMB_SPARK_WORKER_MEMORY:-1g}"
DIR="${PLUMB_STANDALONE_DIR:-$ROOT/.plumb/standalone}"
MASTER_URL="spark://127.0.0.1:$PORT"
UI_URL="http://127.0.0.1:$UI_PORT"

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive_workers() {
  curl -fsS --max-time 2 "$UI_URL/json/" 2>/dev/null | tr '{' '\n' | grep -c '"state" *: *"ALIVE"' || true
}

spark_home() {
  local py
  py="$("$ROOT/cluster/local/python-env.sh")"
  "$py" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
}

case "${1:-start}" in
  spark-home)
    spark_home
    ;;
  start)
    if alive "$DIR/master.pid"; then
      echo "$MASTER_URL"
      exit 0
    fi
    for p in "$PORT" "$UI_PORT"; do
      if port_taken "$p"; then
        echo "Cannot start the Spark standalone cluster: port $p on 127.0.0.1 is in use (stop what uses it, or pick other ports with PLUMB_SPARK_MASTER_PORT / PLUMB_SPARK_MASTER_WEBUI_PORT)" >&2
        exit 2
      fi
    done
    export SPARK_HOME
    SPARK_HOME="$(spark_home)"
    export SPARK_LOCAL_IP=127.0.0.1 SPARK_NO_DAEMONIZE=1
    mkdir -p "$DIR"
    nohup "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$PORT" --webui-port "$UI_PORT" >"$DIR/master.log" 2>&1 &
    echo $! >"$DIR/master.pid"
    for _ in $(seq 1 60); do
      if curl -fsS --max-time 2 "$UI_URL/json/" >/dev/null 2>&1; then break; fi
      if ! alive "$DIR/master.pid"; then break; fi
      sleep 1
    done
    if ! curl -fsS --max-time 2 "$UI_URL/json/" >/dev/null 2>&1; then
      echo "Cannot start the Spark master on $MASTER_URL; last lines of $DIR/master.log:" >&2
      tail -20 "$DIR/master.log" >&2 || true
      exit 2
    fi
    for n in $(seq 1 "$WORKERS"); do
      mkdir -p "$DIR/worker-$n"
      # --webui-port 0: any free port, so several workers (and clusters) never collide.
      nohup "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --cores "$CORES" --memory "$MEMORY" --webui-port 0 \
        --work-dir "$DIR/worker-$n" "$MASTER_URL" >"$DIR/worker-$n.log" 2>&1 &
      echo $! >"$DIR/worker-$n.pid"
    done
    for _ in $(seq 1 60); do
      if [[ "$(alive_workers)" -ge "$WORKERS" ]]; then
        echo "$MASTER_URL"
        exit 0
      fi
      sleep 1
    done
    echo "Cannot start the Spark standalone cluster: $(alive_workers) of $WORKERS workers registered with $MASTER_URL; see $DIR/worker-*.log" >&2
    exit 2
    ;;
  stop)
    stopped=0
    for f in "$DIR"/worker-*.pid "$DIR/master.pid"; do
      [[ -f "$f" ]] || continue
      if alive "$f"; then kill "$(cat "$f")" && stopped=$((stopped + 1)); fi
      rm -f "$f"
    done
    echo "stopped $stopped process(es)"
    ;;
  status)
    if alive "$DIR/master.pid"; then
      echo "running at $MASTER_URL (UI $UI_URL), $(alive_workers) worker(s) alive"
    else
      echo "not running"
      exit 1
    fi
    ;;
  *) echo "usage: $0 start|stop|status|spark-home" >&2; exit 2 ;;
esac
