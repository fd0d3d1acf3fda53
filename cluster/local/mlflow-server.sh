#!/usr/bin/env bash
# Local MLflow tracking server for the demo: SQLite backend store, artifacts under .plumb/mlflow,
# bound to 127.0.0.1, served through the artifact proxy. Reused when already running.
#   cluster/local/mlflow-server.sh start   -> prints the tracking URI
#   cluster/local/mlflow-server.sh stop | status
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${PLUMB_MLFLOW_PORT:-5055}"
DIR="$ROOT/.plumb/mlflow"
PIDFILE="$DIR/server.pid"
URI="http://127.0.0.1:$PORT"

healthy() { curl -fsS --max-time 2 "$URI/health" >/dev/null 2>&1; }
ours() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-start}" in
  start)
    if ours && healthy; then echo "$URI"; exit 0; fi
    if healthy || (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      echo "Cannot start the MLflow server: port $PORT on 127.0.0.1 is in use by another process (stop it, or pick another port with PLUMB_MLFLOW_PORT=NNNN)" >&2
      exit 2
    fi
    PY="$("$ROOT/cluster/local/python-env.sh")"
    MLFLOW="$(dirname "$PY")/mlflow"
    mkdir -p "$DIR/artifacts"
    # Its own process group where setsid exists (Linux), so that stop ends the gunicorn workers
    # too; not only the mlflow process that spawned them.
    SETSID=()
    if command -v setsid >/dev/null 2>&1; then SETSID=(setsid); fi
    "${SETSID[@]}" nohup "$MLFLOW" server --host 127.0.0.1 --port "$PORT" \
      --backend-store-uri "sqlite:///$DIR/mlflow.db" \
      --artifacts-destination "$DIR/artifacts" --serve-artifacts \
      --workers 1 >"$DIR/server.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
      if healthy; then echo "$URI"; exit 0; fi
      if ! ours; then break; fi
      sleep 1
    done
    echo "Cannot start the MLflow server on $URI: it did not become healthy; last lines of $DIR/server.log:" >&2
    tail -20 "$DIR/server.log" >&2 || true
    exit 2
    ;;
  stop)
    if ours; then
      pid="$(cat "$PIDFILE")"
      # The whole process group (server and gunicorn workers); without one, the children first.
      if ! kill -- "-$pid" 2>/dev/null; then
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
      fi
      for _ in $(seq 1 40); do healthy || break; sleep 0.25; done
      rm -f "$PIDFILE"
      if healthy; then echo "Cannot stop the MLflow server on $URI: it still answers (pid $pid)" >&2; exit 1; fi
      echo "stopped"
    else
      echo "not running"
    fi
    ;;
  status)
    if ours && healthy; then echo "running at $URI"; else echo "not running"; exit 1; fi
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
