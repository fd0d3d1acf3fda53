#!/usr/bin/env python3
"""Single-node Python peer of Plumb's pipeline, for the end-to-end benchmark.

What a new user would write with pyarrow + pandas + numpy + xgboost + scikit-learn to do the same
work as ``./plumb demo`` (ingest -> features -> train -> evaluate), on one machine, in one process:

    .plumb/venv/bin/python bench/e2e/peer.py --input DATA_DIR --conf conf/local.yaml [--out r.json]

DATA_DIR is a Parquet folder partitioned as ``event_date=YYYY-MM-DD/part-*.parquet``. The last
line of stdout (and ``--out``) is one JSON object: counts, split sizes, seconds per stage, peak RSS
and the headline metrics; a short summary goes to stderr.

What each stage mirrors (Java sources under features/, training/, evaluation/, jobs/):

ingest (``IngestRun``, ``ContractValidator``, ``KeyHashes``)
    The data contract (``ingest.contract``) is read from its YAML: declared types must match the
    files exactly (``drift_policy: fail``), ``null_strings`` read as null in string columns,
    control characters in strings quarantine the row (``BAD_ENCODING``), and every row is checked
    for ``NULL_REQUIRED``, ``NAN_OR_INF`` (floating columns), ``OUT_OF_RANGE`` (min/max, compared
    as doubles with Spark's NaN ordering: NaN is above every number), ``NOT_ALLOWED``,
    ``PATTERN_MISMATCH``, ``BAD_LABEL`` (label null or not in ``label.values``) and
    ``DUPLICATE_KEY``. Of the rows sharing a key, the first by (file path in byte order, row index
    in the file) is kept and every later one is quarantined, whatever else is wrong with the
    first. A row counts once in ``rows_quarantined`` and once per reason in the by-reason counts.

features (``FeatureSetSpec``, ``Splits``, ``FeatureDef``, ``FittedTransform``,
``FeatureSetBuilder``)
    Split by key hash exactly as Spark's ``pmod(xxhash64(42L, cast(id as string)), 10000) / 10000``
    (XXH64 is implemented here, vectorised in numpy). Every definition type of the spec: numeric
    (optional mean / median imputation), log1p, clip, quantile_buckets (exact linear-interpolation
    quantiles), categorical index / one_hot (levels = sorted distinct non-null train values; unseen
    and null -> n), missing_indicator, ratio, difference, date_part (day_of_week 1 = Sunday, UTC),
    and window count / sum / mean over the rows of the same ``by`` value with event time in
    [t - days, t) over every clean row (all splits; a null key or event time gives null). Fitted
    state comes from the train split only. Missing values are NaN (Plumb stores null). Then the
    label-leakage guard: each feature alone as a score on the train split (missing ranks lowest),
    ROC-AUC in either direction must not exceed ``features.max_single_feature_auc`` (0.99 unless
    set) unless listed in ``features.allow_leaky``.

train (``XGBoostTrainer``, ``TrainStage``, ``OperatingPoint``)
    ``xgboost.train`` with the config's ``train`` parameters, ``tree_method=hist``, ``missing=NaN``,
    early stopping on the validation split, features in Plumb's order; the best iteration is the
    first minimum of the validation metric. The operating threshold is chosen on the validation
    predictions by ``evaluate.threshold`` (every distinct score a candidate, the highest threshold
    among ties), as Plumb's train stage does.

evaluate (``Evaluator`` full mode, ``ScorePass``, ``Curves``, ``Bootstrap``, ``Baselines``,
``SliceMetrics``, ``Drift``, ``Behaviour``)
    The test split is scored once; ROC-AUC, average precision, log loss, Brier, confusion and its
    metrics at the threshold; ROC / PR curves (at most 200 points); the sweep of
    ``sweep_points + 1`` thresholds; best-F1 and cost-weighted thresholds; Poisson-bootstrap
    percentile CIs; equal-width calibration bins and ECE; slices (named by raw value, weakest k
    with at least ``min_support`` rows); zero-rule, prior-random and heuristic baselines with
    lifts; PSI per feature of the test split against the train split on the train split's
    quantile bins (plus a null bin, shares floored at 1e-4); behavioural tests (perturbation,
    invariance, directional) on the same hash-drawn sample and hash noise as Plumb.

Where it deliberately differs from Plumb (a plain single-node user would do it this way, and the
results differ at most in the last digits or by sampling noise):

* Areas and best-F1 / cost thresholds are exact over the scores (scikit-learn), where Plumb uses
  1e-5 score bins (areas within 1e-4 of exact; thresholds on the 1e-5 grid).
* Bootstrap weights are numpy Poisson(1) draws (seed from the spec), with exact per-replicate
  metrics; Plumb derives the weights from a hash of the key and bins the replicates' scores.
* Drift bin edges are exact quantiles (``inverted_cdf``) of all train rows; Plumb uses Spark's
  approxQuantile (relative error 1e-3) on a sample of at most 200k train rows.
* The model is trained by single-process XGBoost with ``nthread = os.cpu_count()``; Plumb trains
  with XGBoost4J-Spark over ``num_workers`` workers, so its histograms (and hence the trees and
  the scores) differ slightly. Metrics agree to within training noise, not bit for bit.
* Strings are not checked for invalid UTF-8 (Arrow assumes valid UTF-8); only control characters.
* Nothing is written: no Delta tables, feature store, model store, reports or MLflow run. Plumb's
  train stage also scores the train split for the monitoring reference; the peer does not.
"""

from __future__ import annotations

import time

_T_IMPORT_START = time.time()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402
import xgboost as xgb  # noqa: E402
import yaml  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

_T_IMPORTED = time.time()


def process_start_time() -> float:
    """Wall-clock time the process started (Linux /proc), else the time this module started."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat, counting from after "(comm)"
        with open("/proc/stat") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        return btime + start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return _T_IMPORT_START


# --------------------------------------------------------------------------------------------
# XXH64, as Spark's xxhash64 computes it (org.apache.spark.sql.catalyst.expressions.XXH64)

_M64 = (1 << 64) - 1
_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P4 = 0x85EBCA77C2B2AE63
_P5 = 0x27D4EB2F165667C5
_U = np.uint64


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << _U(r)) | (x >> _U(64 - r))


def _fmix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U(33))
    h = h * _U(_P2)
    h = h ^ (h >> _U(29))
    h = h * _U(_P3)
    return h ^ (h >> _U(32))


def xxh64_long(values: np.ndarray, seed) -> np.ndarray:
    """XXH64 of each int64's 8 little-endian bytes (Spark's hashLong); seed: scalar or array."""
    with np.errstate(over="ignore"):
        v = np.asarray(values, dtype=np.int64).view(np.uint64)
        h = np.asarray(seed, dtype=np.uint64) + _U(_P5) + _U(8)
        h = h ^ (_rotl(v * _U(_P2), 31) * _U(_P1))
        h = _rotl(h, 27) * _U(_P1) + _U(_P4)
        return _fmix(h)


def _xxh64_fixed(rows: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """XXH64 of each row of a (m, L) uint8 matrix (all rows the same length L < 32)."""
    m, length = rows.shape
    if length >= 32:
        raise ValueError("keys of 32 bytes or more are not supported by this peer")
    with np.errstate(over="ignore"):
        h = seed + _U(_P5) + _U(length)
        off = 0
        while off + 8 <= length:
            k = np.ascontiguousarray(rows[:, off : off + 8]).view("<u8").ravel()
            h = h ^ (_rotl(k * _U(_P2), 31) * _U(_P1))
            h = _rotl(h, 27) * _U(_P1) + _U(_P4)
            off += 8
        if off + 4 <= length:
            k = np.ascontiguousarray(rows[:, off : off + 4]).view("<u4").ravel().astype(np.uint64)
            h = h ^ (k * _U(_P1))
            h = _rotl(h, 23) * _U(_P2) + _U(_P3)
            off += 4
        while off < length:
            h = h ^ (rows[:, off].astype(np.uint64) * _U(_P5))
            h = _rotl(h, 11) * _U(_P1)
            off += 1
        return _fmix(h)


def xxh64_strings(strings: pa.Array, seed) -> np.ndarray:
    """XXH64 of each string's UTF-8 bytes (Spark's hashUnsafeBytes), grouped by byte length."""
    strings = strings.cast(pa.string()) if strings.type != pa.string() else strings
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if strings.null_count:
        raise ValueError("null strings cannot be hashed here")
    n = len(strings)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[
        strings.offset : strings.offset + n + 1
    ]
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)
    starts = offsets[:-1].astype(np.int64)
    lengths = np.diff(offsets)
    seeds = np.broadcast_to(np.asarray(seed, dtype=np.uint64), (n,))
    out = np.empty(n, dtype=np.uint64)
    for length in np.unique(lengths):
        same = np.nonzero(lengths == length)[0]
        for lo in range(0, len(same), 1 << 20):  # bounded temporaries: 1M rows at a time
            idx = same[lo : lo + (1 << 20)]
            rows = data[starts[idx, None] + np.arange(length)]
            out[idx] = _xxh64_fixed(rows.reshape(len(idx), int(length)), seeds[idx])
    return out


def xxh64_scalar_bytes(b: bytes, seed: int) -> int:
    """XXH64 of one byte string (for literal columns), as a Python int."""
    row = np.frombuffer(b, dtype=np.uint8).reshape(1, len(b))
    return int(_xxh64_fixed(row, np.array([seed], dtype=np.uint64))[0])


def spark_pmod(h: np.ndarray, buckets: int) -> np.ndarray:
    """Spark's pmod(signed 64-bit hash, buckets): non-negative remainder."""
    return np.mod(h.view(np.int64), buckets)


# --------------------------------------------------------------------------------------------
# Configuration


def load_yaml(path: str) -> dict:
    with open(path) as f:
        return yaml.safe_load(f) or {}


def resolve(base_file: str, path: str) -> str:
    """A path from a config file: absolute as is, else relative to the file's folder first."""
    if os.path.isabs(path):
        return path
    beside = os.path.join(os.path.dirname(os.path.abspath(base_file)), path)
    return beside if os.path.exists(beside) else path


# --------------------------------------------------------------------------------------------
# Ingest

ARROW_TYPES = {
    "long": pa.int64(),
    "int": pa.int32(),
    "double": pa.float64(),
    "float": pa.float32(),
    "string": pa.string(),
    "boolean": pa.bool_(),
}
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"


def _mask(arr) -> np.ndarray:
    """A boolean Arrow array (nulls as False) as numpy."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def ingest(input_dir: str, contract: dict) -> tuple[pa.Table, dict]:
    """Reads and validates every row; returns the clean rows (cleaned values) and the counts."""
    columns = contract["columns"]
    names = [c["name"] for c in columns]
    null_strings = [str(s) for s in contract.get("null_strings", [])]
    for c in columns:
        for unsupported in ("source_type", "pattern_flags"):
            if unsupported in c:
                raise ValueError(f"contract key {unsupported} is not supported by the peer")
    if contract.get("drift_policy", "fail") != "fail":
        raise ValueError("the peer supports drift_policy: fail only")

    part = ds.partitioning(pa.schema([("event_date", pa.string())]), flavor="hive")
    dataset = ds.dataset(input_dir, format="parquet", partitioning=part)
    problems = []
    for c in columns:
        want = ARROW_TYPES[c["type"]]
        if c["name"] not in dataset.schema.names:
            problems.append(f"column '{c['name']}' is missing")
        elif dataset.schema.field(c["name"]).type != want:
            got = dataset.schema.field(c["name"]).type
            problems.append(f"column '{c['name']}' must be of type {c['type']} but was {got}")
    if problems:
        raise ValueError("Cannot ingest: " + "; ".join(problems))
    extra = [n for n in dataset.schema.names if n not in names]
    table = dataset.to_table(columns=names + extra + ["__filename", "__batch_index"])
    # Rows in (file path by UTF-8 bytes, row index in the file) order: the order that decides
    # which of a repeated key is kept. The scan already yields them so; sort only if not.
    # large_string: 20M rows of file paths pass the 2 GiB offsets of a plain string array.
    files = pc.cast(table.column("__filename"), pa.large_string()).combine_chunks()
    files = files.dictionary_encode()
    paths = files.dictionary.to_pylist()
    rank = np.argsort(np.argsort([p.encode("utf-8") for p in paths], kind="stable"))
    file_rank = rank[files.indices.to_numpy()]
    batch = table.column("__batch_index").to_numpy()
    order_key = file_rank.astype(np.int64) * (1 << 32) + batch
    if np.any(np.diff(order_key) < 0):
        table = table.take(pa.array(np.argsort(order_key, kind="stable")))
    table = table.drop(["__filename", "__batch_index"])
    n = table.num_rows

    reasons: dict[str, np.ndarray] = {}

    def rule(reason: str, broken: np.ndarray) -> None:
        reasons[reason] = reasons[reason] | broken if reason in reasons else broken

    cleaned = {}
    for c in columns:
        name, ctype = c["name"], c["type"]
        raw = table.column(name).combine_chunks()
        value = raw
        if ctype == "string":
            rule(f"BAD_ENCODING:{name}", _mask(pc.match_substring_regex(raw, CONTROL)))
            if null_strings:
                is_null_string = pc.is_in(raw, value_set=pa.array(null_strings))
                value = pc.if_else(is_null_string, pa.scalar(None, pa.string()), raw)
        cleaned[name] = value
        is_null = np.asarray(value.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if not c.get("nullable", True):
            rule(f"NULL_REQUIRED:{name}", is_null)
        if ctype in ("double", "float") or c.get("min") is not None or c.get("max") is not None:
            x = value.cast(pa.float64()).to_numpy(zero_copy_only=False)  # null -> NaN
            x = np.where(is_null, 0.0, x)
            nan = np.isnan(x) & ~is_null
            if ctype in ("double", "float"):
                rule(f"NAN_OR_INF:{name}", nan | np.isinf(x))
            with np.errstate(invalid="ignore"):
                # Spark orders NaN above every number: NaN < min is false, NaN > max is true.
                if c.get("min") is not None:
                    rule(f"OUT_OF_RANGE:{name}", ~nan & (x < float(c["min"])) & ~is_null)
                if c.get("max") is not None:
                    rule(f"OUT_OF_RANGE:{name}", (nan | (x > float(c["max"]))) & ~is_null)
        if c.get("allowed"):
            allowed = [str(a) for a in c["allowed"]]
            if ctype in ("int", "long"):
                numbers = pa.array([int(a) for a in allowed])
                inside = pc.is_in(value.cast(pa.int64()), value_set=numbers)
            else:
                inside = pc.is_in(value.cast(pa.string()), value_set=pa.array(allowed))
            rule(f"NOT_ALLOWED:{name}", ~is_null & ~_mask(inside))
        if c.get("pattern"):
            full = "^(?:" + c["pattern"] + ")$"
            matches = _mask(pc.match_substring_regex(value, full))
            rule(f"PATTERN_MISMATCH:{name}", ~is_null & ~matches)

    label = contract.get("label") or {}
    if label.get("column") and label.get("values"):
        lab = cleaned[label["column"]]
        values = [int(v) for v in label["values"]]
        inside = _mask(pc.is_in(lab.cast(pa.int64()), value_set=pa.array(values)))
        rule(f"BAD_LABEL:{label['column']}", ~inside)

    keys = contract.get("keys") or []
    if keys:
        key_frame = pd.DataFrame({k: table.column(k).to_pandas() for k in keys})
        complete = key_frame.notna().all(axis=1).to_numpy()
        repeated = np.zeros(n, dtype=bool)
        repeated[complete] = key_frame[complete].duplicated(keep="first").to_numpy()
        rule("DUPLICATE_KEY:" + ",".join(keys), repeated)

    broken = np.zeros(n, dtype=bool)
    for b in reasons.values():
        broken |= b
    by_reason = {r: int(b.sum()) for r, b in sorted(reasons.items()) if b.any()}
    keep = pa.array(~broken)
    clean = pa.table(
        {**{k: v.filter(keep) for k, v in cleaned.items()},
         **{e: table.column(e).filter(keep) for e in extra}}
    )
    counts = {
        "rows_read": n,
        "rows_clean": clean.num_rows,
        "rows_quarantined": int(broken.sum()),
        "quarantined_by_reason": by_reason,
    }
    return clean, counts


# --------------------------------------------------------------------------------------------
# Features

TRAIN, VALIDATION, TEST = "train", "validation", "test"


def assign_splits(keys: pa.Array, split: dict) -> np.ndarray:
    """0 = train, 1 = validation, 2 = test, as Splits.column (key_hash only)."""
    if split.get("by", "key_hash") != "key_hash":
        raise ValueError("the peer supports split by key_hash only")
    seed = int(split.get("seed", 42))
    train_end = float(split.get("train", 0.7))
    validation_end = train_end + float(split.get("validation", 0.15))
    h0 = xxh64_long(np.array([seed]), 42)[0]  # xxhash64(lit(seed), ...): the literal first
    h = xxh64_strings(pc.cast(keys, pa.string()), h0)
    bucket = spark_pmod(h, 10_000).astype(np.float64) / 10_000
    return np.where(bucket < train_end, 0, np.where(bucket < validation_end, 1, 2)).astype(np.int8)


def as_float(column) -> np.ndarray:
    """A numeric Arrow column as float64 with null -> NaN."""
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)


def per_distinct(column, fn) -> np.ndarray:
    """fn over the distinct values of a date / timestamp / string column parsed as UTC timestamps
    (Spark's cast to timestamp in the session time zone, UTC), mapped back to every row as float64
    (NaN when missing or unparseable): a date column has few distinct values."""
    enc = column.combine_chunks().dictionary_encode()
    uniques = pd.to_datetime(pd.Series(enc.dictionary.to_pandas()), errors="coerce", utc=True)
    values = pd.Series(fn(uniques)).to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.full(len(column), np.nan)
    ok = ~np.asarray(enc.indices.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    out[ok] = values[enc.indices.to_numpy(zero_copy_only=False)[ok].astype(np.int64)]
    return out


def event_days(column) -> np.ndarray:
    """Event time as days since the epoch (UTC; NaN when missing or unparseable)."""
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    return per_distinct(column, lambda ts: (ts - epoch).dt.total_seconds() / 86400.0)


def window_feature(table: pa.Table, f: dict, key: str, event_time: str) -> np.ndarray:
    """count / sum / mean over rows of the same `by` with event time in [t - days, t), all rows.

    Event times are whole days here (a date column), so the frame is the days t-days .. t-1.
    """
    by = f.get("by") or key
    days = int(f["days"])
    t = event_days(table.column(event_time))
    if np.any(~np.isnan(t) & (t != np.floor(t))):
        raise ValueError("the peer's window features need whole-day event times")
    groups = table.column(by).combine_chunks().dictionary_encode()
    g = groups.indices.to_numpy(zero_copy_only=False)
    no_group = groups.indices.is_null().to_numpy(zero_copy_only=False)
    missing = np.isnan(t) | np.asarray(no_group, dtype=bool)
    ok = ~missing
    day0 = int(np.nanmin(t)) if ok.any() else 0
    span = (int(np.nanmax(t)) - day0 + 1) if ok.any() else 1
    gi = g[ok].astype(np.int64)
    di = (t[ok] - day0).astype(np.int64)
    ng = len(groups.dictionary)
    # Per (group, day): rows and sum of the column; cumulative over days, with a zero day in front.
    cells = gi * span + di
    count = np.bincount(cells, minlength=ng * span).reshape(ng, span)
    if f["fn"] in ("sum", "mean"):
        x = as_float(table.column(f["column"]))[ok]
        present = ~np.isnan(x)
        total = np.bincount(cells[present], weights=x[present], minlength=ng * span)
        total = total.reshape(ng, span)
        n_values = np.bincount(cells[present], minlength=ng * span).reshape(ng, span)
    out = np.full(table.num_rows, np.nan)

    def frame(a):
        c = np.concatenate([np.zeros((ng, 1)), np.cumsum(a, axis=1)], axis=1)  # c[:, d] = sum < d
        hi = di  # days before d
        lo = np.maximum(di - days, 0)
        return c[gi, hi] - c[gi, lo]

    if f["fn"] == "count":
        out[ok] = frame(count)
    elif f["fn"] == "sum":
        out[ok] = frame(total)
    else:
        cnt = frame(n_values)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[ok] = np.where(cnt > 0, frame(total) / cnt, np.nan)
    return out


def build_features(clean: pa.Table, spec: dict, conf: dict) -> dict:
    """The feature matrix of every clean row, its names, the label, the splits and fitted state."""
    key, label_col = spec.get("key", "id"), spec.get("label", "label")
    event_time = spec.get("event_time", "")
    split = assign_splits(clean.column(key), spec.get("split") or {})
    is_train = split == 0
    names, cols, state = [], [], {}
    for f in spec["features"]:
        ftype, name = f["type"], f["name"]
        column = f.get("column", name)
        if ftype == "numeric":
            x = as_float(clean.column(column))
            impute = f.get("impute", "none")
            if impute != "none":
                tr = x[is_train & ~np.isnan(x)]
                fill = np.nan
                if len(tr):
                    fill = tr.mean() if impute == "mean" else np.quantile(tr, 0.5)
                state[name] = {"impute_value": fill}
                if not np.isnan(fill):
                    x = np.where(np.isnan(x), fill, x)
            names.append(name), cols.append(x)
        elif ftype == "log1p":
            x = as_float(clean.column(column))
            with np.errstate(invalid="ignore", divide="ignore"):
                names.append(name), cols.append(np.where(x > -1.0, np.log1p(x), np.nan))
        elif ftype == "clip":
            x = as_float(clean.column(column))
            if f.get("max") is not None:
                x = np.where(x > float(f["max"]), float(f["max"]), x)
            if f.get("min") is not None:
                x = np.where(x < float(f["min"]), float(f["min"]), x)
            names.append(name), cols.append(x)
        elif ftype == "quantile_buckets":
            x = as_float(clean.column(column))
            k = int(f.get("buckets", 4))
            tr = x[is_train & ~np.isnan(x)]
            edges = np.unique(np.quantile(tr, [i / k for i in range(1, k)])) if len(tr) else []
            state[name] = {"edges": list(map(float, edges))}
            b = np.zeros(len(x))
            for e in edges:
                b += x >= e
            names.append(name), cols.append(np.where(np.isnan(x), np.nan, b))
        elif ftype == "categorical":
            text = pc.cast(clean.column(column), pa.string()).combine_chunks()
            levels = sorted(set(pc.unique(text.filter(pa.array(is_train))).drop_null().to_pylist()))
            state[name] = {"levels": levels}
            if f.get("encoding", "index") == "index":
                idx = pc.index_in(text, value_set=pa.array(levels, pa.string()))
                v = pc.fill_null(idx, len(levels)).to_numpy(zero_copy_only=False).astype(np.float64)
                names.append(name), cols.append(v)
            else:
                seen = np.zeros(len(text), dtype=bool)
                for level in levels:
                    hit = _mask(pc.equal(text, level))
                    seen |= hit
                    names.append(name + "_" + re.sub(r"[^A-Za-z0-9_]", "_", level))
                    cols.append(hit.astype(np.float64))
                names.append(name + "__unseen"), cols.append((~seen).astype(np.float64))
        elif ftype == "missing_indicator":
            c = clean.column(column)
            missing = np.asarray(c.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            if pa.types.is_floating(c.type):
                missing |= np.isnan(as_float(c))
            names.append(name), cols.append(missing.astype(np.float64))
        elif ftype in ("ratio", "difference"):
            left, right = as_float(clean.column(f["left"])), as_float(clean.column(f["right"]))
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(right == 0, np.nan, left / right) if ftype == "ratio" else left - right
            names.append(name), cols.append(v)
        elif ftype == "date_part":
            part = f["part"]

            def date_part(ts: pd.Series) -> pd.Series:
                return {
                    "year": lambda: ts.dt.year,
                    "month": lambda: ts.dt.month,
                    "day": lambda: ts.dt.day,
                    "day_of_week": lambda: (ts.dt.dayofweek + 1) % 7 + 1,  # 1 = Sunday
                    "day_of_year": lambda: ts.dt.dayofyear,
                    "hour": lambda: ts.dt.hour,
                    "minute": lambda: ts.dt.minute,
                }[part]()

            names.append(name), cols.append(per_distinct(clean.column(column), date_part))
        elif ftype == "window":
            names.append(name), cols.append(window_feature(clean, f, key, event_time))
        else:
            raise ValueError(f"unknown feature type {ftype}")
    X = np.column_stack(cols).astype(np.float64)
    y = as_float(clean.column(label_col))

    # Label-leakage guard (FeatureSetBuilder.checkLeakage): train split, missing ranks lowest.
    features_conf = conf.get("features") or {}
    bound = float(features_conf.get("max_single_feature_auc", 0.99))
    allowed = features_conf.get("allow_leaky") or []
    if isinstance(allowed, str):
        allowed = [a for a in allowed.split(",") if a]
    single_auc, leaks = {}, []
    y_train = y[is_train]
    for j, name in enumerate(names):
        s = np.where(np.isnan(X[is_train, j]), -np.finfo(np.float64).max, X[is_train, j])
        a = roc_auc_score(y_train, s)
        a = max(a, 1 - a)
        single_auc[name] = a
        if a > bound and name not in allowed:
            leaks.append(f"'{name}' (ROC-AUC {a:.4f})")
    if leaks:
        raise ValueError(
            f"feature(s) {', '.join(leaks)} alone predict the label on the train split above the"
            f" bound {bound}: likely label leakage")
    return {
        "X": X, "y": y, "split": split, "names": names, "state": state,
        "key": clean.column(key).to_numpy(), "single_feature_auc": single_auc,
        "null_counts": {n: int(np.isnan(X[:, j]).sum()) for j, n in enumerate(names)},
    }


# --------------------------------------------------------------------------------------------
# Train and operating point


def choose_threshold(y: np.ndarray, p: np.ndarray, policy: str, costs: dict) -> dict:
    """OperatingPoint.choose: every distinct score a candidate, scanned from the highest down."""
    policy = str(policy).strip().lower()
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    last = np.r_[ps[1:] != ps[:-1], True]  # the last row of each distinct score (descending)
    tp = np.cumsum(ys == 1)[last].astype(np.float64)
    fp = np.cumsum(ys != 1)[last].astype(np.float64)
    thresholds = ps[last]
    positives = float((y == 1).sum())
    fn = positives - tp
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
    recall = tp / positives if positives else np.zeros_like(tp)
    f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    cost = fp * costs["fp"] + fn * costs["fn"]
    reached = True
    try:
        fixed = float(policy)
    except ValueError:
        fixed = None
    if fixed is not None:
        t = fixed
        pred = p >= t
        tp1, fp1 = float(((y == 1) & pred).sum()), float(((y != 1) & pred).sum())
        fn1 = positives - tp1
        return {"policy": policy, "threshold": t,
                "precision": tp1 / (tp1 + fp1) if tp1 + fp1 else 0.0,
                "recall": tp1 / positives if positives else 0.0,
                "f1": 2 * tp1 / (2 * tp1 + fp1 + fn1) if 2 * tp1 + fp1 + fn1 else 0.0,
                "cost": fp1 * costs["fp"] + fn1 * costs["fn"], "reached": True}
    if policy == "max_f1":
        i = int(np.argmax(f1))  # first maximum = the highest threshold among ties
    elif policy == "cost":
        i = int(np.argmin(cost))
    elif policy.startswith("precision_at_least:") or policy.startswith("recall_at_least:"):
        floor = float(policy.split(":", 1)[1])
        by_p = policy.startswith("precision")
        ok = (precision if by_p else recall) >= floor
        if ok.any():
            cand = np.nonzero(ok)[0]
            other = recall if by_p else precision
            i = int(cand[np.argmax(other[cand])])
        else:
            i, reached = int(np.argmax(precision if by_p else recall)), False
    else:
        raise ValueError(f"'{policy}' is not a threshold policy")
    return {"policy": policy, "threshold": float(thresholds[i]), "precision": float(precision[i]),
            "recall": float(recall[i]), "f1": float(f1[i]), "cost": float(cost[i]),
            "reached": reached}


def train_model(feat: dict, train_conf: dict) -> tuple[xgb.Booster, int]:
    X, y, split, names = feat["X"], feat["y"], feat["split"], feat["names"]
    params = {
        "objective": train_conf.get("objective", "binary:logistic"),
        "eval_metric": train_conf.get("eval_metric", "logloss"),
        "max_depth": int(train_conf.get("max_depth", 6)),
        "eta": float(train_conf.get("eta", 0.3)),
        "seed": int(train_conf.get("seed", 0)),
        "tree_method": "hist",
        "nthread": os.cpu_count(),
        "scale_pos_weight": 1.0,
        "verbosity": 0,
    }
    spw = train_conf.get("scale_pos_weight", 1)
    if str(spw) == "auto":
        ytr = y[split == 0]
        params["scale_pos_weight"] = float((ytr == 0).sum()) / max(float((ytr == 1).sum()), 1.0)
    else:
        params["scale_pos_weight"] = float(spw)
    dtrain = xgb.DMatrix(X[split == 0], label=y[split == 0], missing=np.nan, feature_names=names)
    dval = xgb.DMatrix(X[split == 1], label=y[split == 1], missing=np.nan, feature_names=names)
    esr = int(train_conf.get("early_stopping_rounds", 0))
    booster = xgb.train(
        params, dtrain, num_boost_round=int(train_conf.get("num_round", 100)),
        evals=[(dtrain, "train"), (dval, "eval")],
        early_stopping_rounds=esr if esr > 0 else None, verbose_eval=False)
    best = booster.best_iteration if esr > 0 else booster.num_boosted_rounds() - 1
    return booster, int(best)


def predict(booster: xgb.Booster, X: np.ndarray, best: int) -> np.ndarray:
    """Probabilities of rounds 0..best: XGBoost's float32, widened as Plumb's scorer does."""
    p = booster.inplace_predict(X, iteration_range=(0, best + 1), missing=np.nan)
    return p.astype(np.float64)


# --------------------------------------------------------------------------------------------
# Evaluate

EPS = 1e-15


def log_losses(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.where(y == 1, -np.log(q), -np.log(1 - q))


def confusion_metrics(tp, fp, tn, fn) -> dict:
    def ratio(a, b):
        return a / b if b else 0.0
    n = tp + fp + tn + fn
    precision, recall, specificity = ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(tn, tn + fp)
    d = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {"accuracy": ratio(tp + tn, n), "precision": precision, "recall": recall,
            "f1": ratio(2 * tp, 2 * tp + fp + fn), "specificity": specificity,
            "false_positive_rate": ratio(fp, fp + tn),
            "balanced_accuracy": (recall + specificity) / 2,
            "mcc": (tp * tn - fp * fn) / d if d else 0.0}


def confusion(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float, float]:
    pos = y == 1
    return (float((pos & pred).sum()), float((~pos & pred).sum()),
            float((~pos & ~pred).sum()), float((pos & ~pred).sum()))


def thin(points: list, most: int) -> list:
    if len(points) <= most:
        return points
    step = (len(points) - 1) / (most - 1)
    return [points[int(round(i * step))] for i in range(most)]


def _weighted_areas(inv: np.ndarray, y: np.ndarray, w: np.ndarray, k: int) -> tuple[float, float]:
    """Exact weighted ROC-AUC (ties half) and average precision from per-distinct-score sums."""
    pos = np.bincount(inv, weights=w * y, minlength=k)[::-1]  # highest score first
    neg = np.bincount(inv, weights=w * (1 - y), minlength=k)[::-1]
    P, Q = pos.sum(), neg.sum()
    if P == 0 or Q == 0:
        return float("nan"), float("nan")
    neg_above = np.cumsum(neg) - neg
    auc = float((pos * (Q - neg_above - neg) + 0.5 * pos * neg).sum() / (P * Q))
    tp, fp = np.cumsum(pos), np.cumsum(neg)
    has = pos > 0
    ap = float((pos[has] / P * tp[has] / (tp[has] + fp[has])).sum())
    return auc, ap


def bootstrap(y, p, pred, cal_bin, n_cal, replicates, confidence, seed) -> dict:
    """Poisson(1) bootstrap percentile intervals of the headline metrics."""
    if replicates < 2:
        return {}
    rng = np.random.default_rng(seed)
    uniq, inv = np.unique(p, return_inverse=True)
    loss, brier = log_losses(y, p), (p - y) ** 2
    pos = y == 1
    names = ["roc_auc", "average_precision", "log_loss", "brier", "accuracy", "precision",
             "recall", "f1", "ece"]
    values = np.empty((len(names), replicates))
    for r in range(replicates):
        w = rng.poisson(1.0, len(y)).astype(np.float64)
        n = w.sum()
        auc, ap = _weighted_areas(inv, y, w, len(uniq))
        tp, fp = w[pos & pred].sum(), w[~pos & pred].sum()
        tn, fn = w[~pos & ~pred].sum(), w[pos & ~pred].sum()
        c = confusion_metrics(tp, fp, tn, fn)
        cal_pos = np.bincount(cal_bin, weights=w * y, minlength=n_cal)
        cal_score = np.bincount(cal_bin, weights=w * p, minlength=n_cal)
        values[:, r] = [auc, ap, (w * loss).sum() / n, (w * brier).sum() / n, c["accuracy"],
                        c["precision"], c["recall"], c["f1"], np.abs(cal_pos - cal_score).sum() / n]
    alpha = 1 - confidence
    out = {}
    for i, name in enumerate(names):
        v = values[i][~np.isnan(values[i])]
        out[name] = [None, None]
        if len(v):
            out[name] = [float(np.quantile(v, alpha / 2)), float(np.quantile(v, 1 - alpha / 2))]
    return out


def psi(ref: np.ndarray, tgt: np.ndarray) -> float:
    both_empty = (ref == 0) & (tgt == 0)
    r, t = np.maximum(ref, 1e-4), np.maximum(tgt, 1e-4)
    return float(np.where(both_empty, 0.0, (t - r) * np.log(t / r)).sum())


def drift_shares(x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Bin 0 = missing; bin i (1..k+1) holds cut[i-2] < x <= cut[i-1], open ends."""
    missing = np.isnan(x)
    b = np.searchsorted(cuts, x[~missing], side="left") + 1
    counts = np.bincount(b, minlength=len(cuts) + 2).astype(np.float64)
    counts[0] = missing.sum()
    return counts / len(x) if len(x) else counts


def uniform_from_hash(h: np.ndarray, buckets: int = 1_000_000) -> np.ndarray:
    return spark_pmod(h, buckets).astype(np.float64)


def behaviour(booster, best, X, keys, names, threshold, spec, seed) -> dict:
    """Behavioural tests on the rows Plumb samples (Behaviour.sample / noise): same hashes."""
    b = spec.get("behaviour") or {}
    out = {}
    pert, inv, directional = b.get("perturbation"), b.get("invariance"), b.get("directional") or []
    if not (pert or inv or directional):
        return out
    rows = int(b.get("sample_rows", 10_000))
    fraction = min(1.0, rows / max(len(X), 1))
    seed_hash = xxh64_long(np.array([seed]), 42)[0]
    if fraction < 1.0:
        u = uniform_from_hash(xxh64_long(keys, seed_hash)) / 1_000_000
        take = u < fraction
        X, keys = X[take], keys[take]
    base = predict(booster, X, best)
    col = {n: i for i, n in enumerate(names)}
    out["behaviour.rows"] = float(len(X))

    def compare(new, tol, drop):
        change = new - base
        flips = (new >= threshold) != (base >= threshold)
        viol = change < -tol if drop else np.abs(change) > tol
        n = len(change)
        if n == 0:
            return dict.fromkeys(("flip_rate", "mean_abs", "max_abs", "violation_rate",
                                  "mean_change"), 0.0)
        return {"flip_rate": flips.mean(), "mean_abs": np.abs(change).mean(),
                "max_abs": np.abs(change).max(), "violation_rate": viol.mean(),
                "mean_change": change.mean()}

    if pert:
        scale = float(pert.get("scale", 0.05))
        noisy = X.copy()
        key_text = pa.array(keys).cast(pa.string())
        for f in pert["features"]:
            x = X[:, col[f]]
            s = float(np.nanstd(x)) if np.any(~np.isnan(x)) else 0.0  # stddev_pop, nulls left out
            h = xxh64_strings(key_text, xxh64_scalar_bytes(f.encode("utf-8"), int(seed_hash)))
            u = uniform_from_hash(h) / 500_000.0 - 1.0
            noisy[:, col[f]] = x + u * (scale * s)
        r = compare(predict(booster, noisy, best), 0.0, False)
        out["behaviour.perturbation.flip_rate"] = r["flip_rate"]
        out["behaviour.perturbation.mean_abs_change"] = r["mean_abs"]
        out["behaviour.perturbation.max_abs_change"] = r["max_abs"]
    if inv:
        worst_rate = worst_max = sum_mean = 0.0
        for v in inv["values"]:
            changed = X.copy()
            changed[:, col[inv["column"]]] = float(v)
            r = compare(predict(booster, changed, best), float(inv.get("tolerance", 0.0)), False)
            worst_rate = max(worst_rate, r["violation_rate"])
            worst_max = max(worst_max, r["max_abs"])
            sum_mean += r["mean_abs"]
        p = "behaviour.invariance." + inv["column"]
        out[p + ".violation_rate"] = worst_rate
        out[p + ".mean_abs_change"] = sum_mean / len(inv["values"])
        out[p + ".max_abs_change"] = worst_max
    for d in directional:
        raised = X.copy()
        raised[:, col[d["feature"]]] += float(d["delta"])
        r = compare(predict(booster, raised, best), float(d.get("tolerance", 0.0)), True)
        out[f"behaviour.directional.{d['feature']}.violation_rate"] = r["violation_rate"]
        out[f"behaviour.directional.{d['feature']}.mean_change"] = r["mean_change"]
    return {k: float(v) for k, v in out.items()}


def slice_value(v: float) -> str:
    """A slice value as SliceMetrics.value writes it: integral numbers without ".0"."""
    return str(int(v)) if float(v).is_integer() else str(v)


def evaluate(feat: dict, booster, best: int, threshold: float, spec: dict) -> dict:
    """Evaluator full mode on the test split."""
    X, names, split = feat["X"], feat["names"], feat["split"]
    test = split == 2
    Xt, y, keys = X[test], feat["y"][test], feat["key"][test]
    p = predict(booster, Xt, best)  # scored once; everything below reuses p
    n, positives = len(y), float((y == 1).sum())
    if n == 0 or positives in (0, n):
        raise ValueError("the test split needs rows of both classes")
    pred = p >= threshold
    tp, fp, tn, fn = confusion(y, pred)
    m = {"count": float(n), "positives": positives,
         "roc_auc": float(roc_auc_score(y, p)),
         "average_precision": float(average_precision_score(y, p)),
         "log_loss": float(log_losses(y, p).mean())}
    m.update(confusion_metrics(tp, fp, tn, fn))
    m["brier"] = float(((p - y) ** 2).mean())

    k = int((spec.get("calibration") or {}).get("bins", 10))
    cal_bin = np.clip(np.floor(p * k).astype(np.int64), 0, k - 1)
    cal_n = np.bincount(cal_bin, minlength=k)
    cal_pos = np.bincount(cal_bin, weights=y, minlength=k)
    cal_score = np.bincount(cal_bin, weights=p, minlength=k)
    m["ece"] = float(np.abs(cal_pos - cal_score).sum() / n)
    calibration = [{"lower": b / k, "upper": (b + 1) / k, "count": int(cal_n[b]),
                    "mean_score": float(cal_score[b] / cal_n[b]) if cal_n[b] else None,
                    "positive_rate": float(cal_pos[b] / cal_n[b]) if cal_n[b] else None}
                   for b in range(k)]

    # Best-F1 and cheapest thresholds on the test split (exact over distinct scores).
    costs = spec.get("costs") or {}
    cfp, cfn = float(costs.get("false_positive", 1.0)), float(costs.get("false_negative", 1.0))
    prec, rec, thr = precision_recall_curve(y, p)
    f1s = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)[:-1]
    i = int(len(f1s) - 1 - np.argmax(f1s[::-1]))  # the highest threshold among equal F1
    m["threshold.best_f1"] = float(thr[i])
    m["threshold.best_f1.f1"] = float(f1s[i])
    m["threshold.best_f1.precision"] = float(prec[i])
    m["threshold.best_f1.recall"] = float(rec[i])
    fpr, tpr, rthr = roc_curve(y, p, drop_intermediate=False)
    cost = cfp * fpr * (n - positives) + cfn * (1 - tpr) * positives
    j = int(np.argmin(cost))
    m["threshold.cost"] = float(min(rthr[j], 1.0 + 1e-9))
    m["threshold.cost.total_cost"] = float(cost[j])
    m["threshold.cost.at_threshold"] = cfp * fp + cfn * fn

    boot = spec.get("bootstrap") or {}
    ci = bootstrap(y, p, pred, cal_bin, k, int(boot.get("replicates", 100)),
                   float(boot.get("confidence", 0.95)), int(boot.get("seed", 7)))
    for name, (lo, hi) in ci.items():
        m[name + ".ci_low"], m[name + ".ci_high"] = lo, hi

    points = int(spec.get("sweep_points", 100))
    sweep = []
    for t in np.arange(points + 1) / points:
        c = confusion(y, p >= t)
        cm = confusion_metrics(*c)
        sweep.append({"threshold": float(t), "precision": cm["precision"], "recall": cm["recall"],
                      "f1": cm["f1"], "false_positive_rate": cm["false_positive_rate"]})
    roc = thin([[float(a), float(b), float(min(c, 1.0))] for a, b, c in zip(fpr, tpr, rthr)], 200)
    pr_thresholds = np.r_[thr, 1.0][::-1]
    pr = thin([[float(a), float(b), float(c)]
               for a, b, c in zip(rec[::-1], prec[::-1], pr_thresholds)], 200)

    # Slices: per value of each slice column (category indexes named by their raw level).
    slices_conf = spec.get("slices") or {}
    loss = log_losses(y, p)
    slices = []
    for column in slices_conf.get("columns", []):
        v = Xt[:, names.index(column)]
        levels = feat["state"].get(column, {}).get("levels")
        for value in np.unique(v[~np.isnan(v)]).tolist() + (["null"] if np.isnan(v).any() else []):
            sel = np.isnan(v) if value == "null" else v == value
            ys, ps_ = y[sel], p[sel]
            if levels is not None and value != "null":
                label = levels[int(value)] if int(value) < len(levels) else "__unseen_or_null"
            else:
                label = "null" if value == "null" else slice_value(value)
            both = 0 < (ys == 1).sum() < len(ys)
            s = {"column": column, "value": label, "count": float(sel.sum()),
                 "positives": float((ys == 1).sum()),
                 "roc_auc": float(roc_auc_score(ys, ps_)) if both else float("nan"),
                 "log_loss": float(loss[sel].mean())}
            s.update(confusion_metrics(*confusion(ys, pred[sel])))
            slices.append(s)
    for s in slices:
        for key in ("count", "positives", "roc_auc", "log_loss", "accuracy", "precision", "recall",
                    "f1", "specificity", "false_positive_rate", "balanced_accuracy", "mcc"):
            m[f"slice.{s['column']}={s['value']}.{key}"] = s[key]
    weakest = sorted((s for s in slices if s["count"] >= int(slices_conf.get("min_support", 100))
                      and not math.isnan(s["roc_auc"])),
                     key=lambda s: (s["roc_auc"], f"{s['column']}={s['value']}"))
    weakest = weakest[: int(slices_conf.get("weakest", 5))]

    # Baselines.
    prior = positives / n
    zero = {"roc_auc": 0.5, "average_precision": prior,
            "log_loss": -(prior * math.log(prior) + (1 - prior) * math.log(1 - prior)),
            "brier": prior * (1 - prior)}
    zero.update(confusion_metrics(positives, n - positives, 0, 0) if positives * 2 > n
                else confusion_metrics(0, 0, n - positives, positives))
    prior_random = {"roc_auc": 0.5, "average_precision": prior, "brier": 2 * prior * (1 - prior),
                    "accuracy": prior ** 2 + (1 - prior) ** 2, "precision": prior, "recall": prior,
                    "f1": prior, "specificity": 1 - prior, "balanced_accuracy": 0.5, "mcc": 0.0}
    baselines = {"zero_rule": zero, "prior_random": prior_random}
    h = (spec.get("baselines") or {}).get("heuristic")
    if h:
        x = Xt[:, names.index(h["feature"])]
        x = np.where(np.isnan(x), -np.finfo(np.float64).max, x)
        higher = h.get("direction", "higher") == "higher"
        s = x if higher else -x
        hm = {"roc_auc": float(roc_auc_score(y, s)),
              "average_precision": float(average_precision_score(y, s))}
        if h.get("threshold") is not None:
            t = float(h["threshold"])
            hm.update(confusion_metrics(*confusion(y, x >= t if higher else x <= t)))
        baselines["heuristic"] = hm
    model_metrics = dict(m)
    lower_better = {"log_loss", "brier", "ece"}
    for b, bm in baselines.items():
        for name, v in bm.items():
            m[f"baseline.{b}.{name}"] = v
            if name in model_metrics and name != "false_positive_rate":
                mine = model_metrics[name]
                m[f"lift.{b}.{name}"] = v - mine if name in lower_better else mine - v

    # Drift: PSI of each feature, test vs train, on the train split's quantile bins.
    drift_conf = spec.get("drift") or {}
    bins = int(drift_conf.get("bins", 10))
    features = drift_conf.get("features") or names
    Xtr = X[split == 0]
    probs = [i / bins for i in range(1, bins)]
    drift = {}
    for f in features:
        r = Xtr[:, names.index(f)]
        present = r[~np.isnan(r)]
        cuts = np.array([])
        if len(present):
            cuts = np.unique(np.quantile(present, probs, method="inverted_cdf"))
        drift[f] = psi(drift_shares(r, cuts), drift_shares(Xt[:, names.index(f)], cuts))
        m["drift.psi." + f] = drift[f]

    sample_seed = int((spec.get("sample") or {}).get("seed", 17))
    m.update(behaviour(booster, best, Xt, keys, names, threshold, spec, sample_seed))

    return {"metrics": m, "confidence_intervals": ci,
            "confusion_matrix": {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)},
            "roc_curve": roc, "pr_curve": pr, "threshold_sweep": sweep,
            "calibration": calibration, "slices": slices, "weakest_slices": weakest,
            "baselines": baselines, "drift_psi": {"evaluation": drift}}


# --------------------------------------------------------------------------------------------


def clean_json(o):
    if isinstance(o, dict):
        return {k: clean_json(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean_json(v) for v in o]
    if isinstance(o, (np.floating, float)):
        return None if math.isnan(o) else float(o)
    if isinstance(o, np.integer):
        return int(o)
    return o


def main(argv=None) -> int:
    started = process_start_time()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="Parquet folder (event_date=... partitions)")
    ap.add_argument("--conf", required=True, help="Plumb config, e.g. conf/local.yaml")
    ap.add_argument("--out", help="also write the result JSON here")
    ap.add_argument("--details", help="write the full evaluation (curves, slices, ...) here")
    args = ap.parse_args(argv)

    conf = load_yaml(args.conf)
    contract = load_yaml(resolve(args.conf, conf["ingest"]["contract"]))
    fspec = load_yaml(resolve(args.conf, conf["features"]["spec"]))
    eval_conf = conf.get("evaluate") or {}
    espec = load_yaml(resolve(args.conf, eval_conf["spec"])) if eval_conf.get("spec") else {}
    if str(eval_conf.get("mode", espec.get("mode", "full"))) != "full":
        raise ValueError("the peer mirrors evaluate.mode: full only")
    seconds = {"startup": time.time() - started}

    t = time.time()
    clean, counts = ingest(args.input, contract)
    seconds["ingest"] = time.time() - t

    t = time.time()
    feat = build_features(clean, fspec, conf)
    del clean
    seconds["features"] = time.time() - t

    t = time.time()
    booster, best = train_model(feat, conf.get("train") or {})
    val = feat["split"] == 1
    costs = espec.get("costs") or {}
    point = choose_threshold(
        feat["y"][val], predict(booster, feat["X"][val], best),
        str(eval_conf.get("threshold", "0.5")),
        {"fp": float(costs.get("false_positive", 1.0)),
         "fn": float(costs.get("false_negative", 1.0))})
    seconds["train"] = time.time() - t

    t = time.time()
    report = evaluate(feat, booster, best, point["threshold"], espec)
    seconds["evaluate"] = time.time() - t
    seconds["total"] = time.time() - started

    m = report["metrics"]
    sizes = np.bincount(feat["split"], minlength=3)
    result = {
        "rows_read": counts["rows_read"],
        "rows_clean": counts["rows_clean"],
        "rows_quarantined": counts["rows_quarantined"],
        "quarantined_by_reason": counts["quarantined_by_reason"],
        "split_sizes": {TRAIN: int(sizes[0]), VALIDATION: int(sizes[1]), TEST: int(sizes[2])},
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "best_iteration": best,
        "rounds": booster.num_boosted_rounds(),
        "test_roc_auc": m["roc_auc"],
        "test_average_precision": m["average_precision"],
        "test_log_loss": m["log_loss"],
        "test_brier": m["brier"],
        "test_ece": m["ece"],
        "threshold": point["threshold"],
        "operating_point": point,
        "confusion_matrix": report["confusion_matrix"],
        "test_f1": m["f1"],
        "test_precision": m["precision"],
        "test_recall": m["recall"],
        "roc_auc_ci": report["confidence_intervals"].get("roc_auc"),
        "feature_names": feat["names"],
        "single_feature_roc_auc": feat["single_feature_auc"],
        "null_counts": feat["null_counts"],
        "fitted_state": feat["state"],
        "weakest_slices": [f"{s['column']}={s['value']}" for s in report["weakest_slices"]],
        "drift_psi": report["drift_psi"]["evaluation"],
        "behaviour": {k: v for k, v in m.items() if k.startswith("behaviour.")},
        "versions": {"xgboost": xgb.__version__, "sklearn": __import__("sklearn").__version__,
                     "pandas": pd.__version__, "pyarrow": pa.__version__, "numpy": np.__version__},
        "cpus": os.cpu_count(),
    }
    result = clean_json(result)
    line = json.dumps(result, sort_keys=False)
    if args.out:
        with open(args.out, "w") as f:
            f.write(json.dumps(result, indent=2) + "\n")
    if args.details:
        with open(args.details, "w") as f:
            json.dump(clean_json(report), f, indent=1)
    s = result["seconds"]
    print(
        f"peer: rows read {counts['rows_read']:,} = clean {counts['rows_clean']:,} + quarantined "
        f"{counts['rows_quarantined']:,} {counts['quarantined_by_reason']}\n"
        f"peer: splits {result['split_sizes']}; best iteration {best} of "
        f"{booster.num_boosted_rounds()} rounds; threshold {point['threshold']:.6f} "
        f"(max F1 {point['f1']:.4f} on validation)\n"
        f"peer: test ROC-AUC {m['roc_auc']:.4f}  AP {m['average_precision']:.4f}  log loss "
        f"{m['log_loss']:.4f}  ECE {m['ece']:.4f}\n"
        f"peer: seconds startup {s['startup']:.2f}  ingest {s['ingest']:.2f}  features "
        f"{s['features']:.2f}  train {s['train']:.2f}  evaluate {s['evaluate']:.2f}  total "
        f"{s['total']:.2f}; peak RSS {result['peak_rss_mb']:.0f} MB",
        file=sys.stderr)
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
