#!/usr/bin/env bash
# A local S3-compatible server (moto's standalone server from PyPI) in a project-local venv.
#   cluster/local/s3-server.sh install        -> prints the path of moto_server (installs once)
#   cluster/local/s3-server.sh start [PORT]   -> starts it on 127.0.0.1:PORT (default 5056), prints
#                                                the endpoint; state under .plumb/s3
#   cluster/local/s3-server.sh stop
# Spark / Plumb settings to reach it (path-style, no TLS, any keys):
#   --set spark.conf.spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:5056
#   --set spark.conf.spark.hadoop.fs.s3a.path.style.access=true
#   --set spark.conf.spark.hadoop.fs.s3a.connection.ssl.enabled=false
#   --set spark.conf.spark.hadoop.fs.s3a.access.key=test --set spark.conf.spark.hadoop.fs.s3a.secret.key=test
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REQUIREMENTS="$ROOT/cluster/local/requirements-s3.txt"
VENV="${PLUMB_S3_VENV:-$ROOT/.plumb/venv-s3}"
STATE="$ROOT/.plumb/s3"
MARKER="$VENV/.plumb-requirements-$(cksum < "$REQUIREMENTS" | cut -d" " -f1)"

install() {
  if [[ -f "$MARKER" && -x "$VENV/bin/moto_server" ]]; then
    return 0
  fi
  local py="${PLUMB_PYTHON:-$(command -v python3 || true)}"
  [[ -n "$py" ]] || { echo "Cannot set up the S3 test server: python3 is not found (install Python 3.9+ with venv)" >&2; exit 2; }
  [[ -x "$VENV/bin/python" ]] || "$py" -m venv "$VENV" >&2 \
    || { echo "Cannot set up the S3 test server: '$py -m venv' failed (install python3-venv)" >&2; rm -rf "$VENV"; exit 2; }
  echo "Installing the S3 test server ($REQUIREMENTS) into $VENV (first run only)..." >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2 \
    || { echo "Cannot set up the S3 test server: 'pip install -r $REQUIREMENTS' failed (check network access to PyPI)" >&2; exit 2; }
  rm -f "$VENV"/.plumb-*
  touch "$MARKER"
}

case "${1:-install}" in
  install)
    install
    echo "$VENV/bin/moto_server"
    ;;
  start)
    install
    port="${2:-5056}"
    mkdir -p "$STATE"
    if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "Cannot start the S3 test server: port $port is in use (stop it with '$0 stop' or pick another port)" >&2
      exit 2
    fi
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" > "$STATE/server.log" 2>&1 < /dev/null &
    echo $! > "$STATE/pid"
    for _ in $(seq 1 100); do
      if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "http://127.0.0.1:$port"
        exit 0
      fi
      sleep 0.2
    done
    echo "Cannot start the S3 test server: it did not answer on port $port within 20 s (see $STATE/server.log)" >&2
    exit 1
    ;;
  stop)
    if [[ -f "$STATE/pid" ]]; then
      kill -- "-$(cat "$STATE/pid")" 2>/dev/null || kill "$(cat "$STATE/pid")" 2>/dev/null || true
      rm -f "$STATE/pid"
    fi
    ;;
  *)
    echo "usage: $0 install|start [PORT]|stop" >&2
    exit 2
    ;;
esac
