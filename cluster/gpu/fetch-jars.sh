#!/usr/bin/env bash
# Fetches the pinned GPU jar pair from Maven Central into .plumb/gpu-jars/ and checks each against
# its pinned SHA-256 (and Maven Central's published SHA-1); prints the folder. Idempotent: a jar
# already there with the right SHA-256 is kept.
#   cluster/gpu/fetch-jars.sh                 -> prints the folder holding both jars
# The pair, for Spark 3.5 / Scala 2.12 (why these: cluster/README.md, "GPU jars"):
#   ml.dmlc:xgboost4j-spark-gpu_2.12:3.4.0   the GPU build of XGBoost4J-Spark (xgboost4j inside),
#                                            the only version Maven Central serves (272 MB)
#   com.nvidia:rapids-4-spark_2.12:25.04.0   the RAPIDS Accelerator, the newest _2.12 release there
#                                            (601 MB; Spark shims 3.2.0-3.4.4 and 3.5.0-3.5.5)
# Settings (environment): PLUMB_GPU_JARS (.plumb/gpu-jars), MAVEN_CENTRAL
# (https://repo1.maven.org/maven2), PLUMB_GPU_JARS_FROM (a folder to copy the jars from instead of
# downloading, e.g. an offline cache; still checked).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${PLUMB_GPU_JARS:-$ROOT/.plumb/gpu-jars}"
CENTRAL="${MAVEN_CENTRAL:-https://repo1.maven.org/maven2}"
# group/artifact/version  sha256
JARS=(
  "ml/dmlc/xgboost4j-spark-gpu_2.12/3.4.0 f3594ab64effceb0fc001842baefbaa22a18aff3bb63a919e5fbe3fbdbcd5efb"
  "com/nvidia/rapids-4-spark_2.12/25.04.0 6d28b2d769692b45a0c8494f4403a01de1348e3608d4e42eab8338c3de217148"
)
mkdir -p "$DIR"
for entry in "${JARS[@]}"; do
  coords="${entry%% *}"
  want="${entry##* }"
  version="${coords##*/}"
  artifact="$(basename "$(dirname "$coords")")"
  file="$artifact-$version.jar"
  target="$DIR/$file"
  if [[ -f "$target" ]] && [[ "$(sha256sum "$target" | cut -d' ' -f1)" == "$want" ]]; then
    continue
  fi
  if [[ -n "${PLUMB_GPU_JARS_FROM:-}" && -f "$PLUMB_GPU_JARS_FROM/$file" ]]; then
    cp "$PLUMB_GPU_JARS_FROM/$file" "$target.part"
  else
    echo "Downloading $CENTRAL/$coords/$file ..." >&2
    if ! curl -fL --retry 3 --retry-delay 2 -sS -o "$target.part" "$CENTRAL/$coords/$file"; then
      echo "Cannot fetch $file from $CENTRAL/$coords/ (check network access to Maven Central, or set MAVEN_CENTRAL to a mirror or PLUMB_GPU_JARS_FROM to a folder holding it)" >&2
      rm -f "$target.part"
      exit 2
    fi
  fi
  got="$(sha256sum "$target.part" | cut -d' ' -f1)"
  if [[ "$got" != "$want" ]]; then
    echo "Cannot use $file: its SHA-256 is $got, the pinned one is $want (a corrupt or different file; delete it and retry)" >&2
    rm -f "$target.part"
    exit 2
  fi
  sha1="$(curl -fsS "$CENTRAL/$coords/$file.sha1" 2>/dev/null | cut -c1-40 || true)"
  if [[ -n "$sha1" && "$sha1" != "$(sha1sum "$target.part" | cut -d' ' -f1)" ]]; then
    echo "Cannot use $file: its SHA-1 does not match Maven Central's $file.sha1 ($sha1)" >&2
    rm -f "$target.part"
    exit 2
  fi
  mv "$target.part" "$target"
done
echo "$DIR"
