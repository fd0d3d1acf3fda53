#!/usr/bin/env bash
# Creates (or reuses) the project-local Python venv under .plumb/venv with the pinned
# MLflow tracking server, pyspark (Spark's distribution for the local standalone cluster and
# spark-submit) and the platforms' client libraries that cluster/check_recipes.py validates the
# Databricks and EMR recipes with. Idempotent: a marker file records the pinned requirements
# installed.
#   cluster/local/python-env.sh          -> prints the venv's python path on success
#   cluster/local/python-env.sh mlflow3  -> the same for .plumb/venv-mlflow3: the current MLflow 3
#                                           (server and client), for the MLflow 3 tracking tests
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ "${1:-}" == "mlflow3" ]]; then
  REQUIREMENTS="$ROOT/cluster/local/requirements-mlflow3.txt"
  VENV="${PLUMB_VENV_MLFLOW3:-$ROOT/.plumb/venv-mlflow3}"
  MARKER="$VENV/.plumb-requirements-$(cksum <"$REQUIREMENTS" | cut -d" " -f1)"
  if [[ -f "$MARKER" && -x "$VENV/bin/mlflow" ]]; then
    echo "$VENV/bin/python"
    exit 0
  fi
  PY="${PLUMB_PYTHON:-$(command -v python3 || true)}"
  if [[ -z "$PY" ]] || ! "$PY" -m venv "$VENV" >&2; then
    echo "Cannot set up the MLflow 3 venv: '${PY:-python3} -m venv $VENV' failed (install Python 3.9+ with the venv module, or set PLUMB_PYTHON)" >&2
    rm -rf "$VENV"
    exit 2
  fi
  echo "Installing MLflow 3 ($REQUIREMENTS) into $VENV (first run only, about two minutes)..." >&2
  if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2; then
    echo "Cannot set up the MLflow 3 venv: 'pip install -r $REQUIREMENTS' failed (check network access to PyPI)" >&2
    exit 2
  fi
  rm -f "$VENV"/.plumb-*
  touch "$MARKER"
  echo "$VENV/bin/python"
  exit 0
fi
REQUIREMENTS="$ROOT/cluster/local/requirements-mlflow.txt"
SPARK_REQUIREMENTS="$ROOT/cluster/local/requirements-spark.txt"
RECIPES_REQUIREMENTS="$ROOT/cluster/local/requirements-recipes.txt"
VENV="${PLUMB_VENV:-$ROOT/.plumb/venv}"
MARKER="$VENV/.plumb-requirements-$(cat "$REQUIREMENTS" "$SPARK_REQUIREMENTS" "$RECIPES_REQUIREMENTS" | cksum | cut -d" " -f1)"

if [[ -f "$MARKER" && -x "$VENV/bin/mlflow" && -x "$VENV/bin/spark-submit" ]]; then
  echo "$VENV/bin/python"
  exit 0
fi

PY="${PLUMB_PYTHON:-$(command -v python3 || true)}"
if [[ -z "$PY" ]] || ! command -v "$PY" >/dev/null 2>&1; then
  echo "Cannot set up the MLflow server: python3 ${PY:+('$PY') }is not found (install Python 3.9+ with the venv module, e.g. 'apt-get install python3 python3-venv', or set PLUMB_PYTHON)" >&2
  exit 2
fi
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
  echo "Cannot set up the MLflow server: $("$PY" --version 2>&1) is too old (need Python 3.9+; set PLUMB_PYTHON to a newer python3)" >&2
  exit 2
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  mkdir -p "$(dirname "$VENV")"
  if ! "$PY" -m venv "$VENV" >&2; then
    echo "Cannot set up the MLflow server: '$PY -m venv' failed (install the venv module, e.g. 'apt-get install python3-venv')" >&2
    rm -rf "$VENV"
    exit 2
  fi
fi
echo "Installing the MLflow server ($REQUIREMENTS), pyspark ($SPARK_REQUIREMENTS) and the recipe checker's clients ($RECIPES_REQUIREMENTS) into $VENV (first run only, a few minutes)..." >&2
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" -r "$SPARK_REQUIREMENTS" -r "$RECIPES_REQUIREMENTS" >&2; then
  echo "Cannot set up the MLflow server, pyspark and the recipe checker's clients: 'pip install -r $REQUIREMENTS -r $SPARK_REQUIREMENTS -r $RECIPES_REQUIREMENTS' failed (check network access to PyPI, or set MLFLOW_TRACKING_URI to an existing server, or run with --tracking none)" >&2
  exit 2
fi
rm -f "$VENV"/.plumb-*
touch "$MARKER"
echo "$VENV/bin/python"
