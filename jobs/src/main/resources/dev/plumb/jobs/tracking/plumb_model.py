"""Plumb's raw-row model for MLflow's python_function flavor (models-from-code: no pickle).

Written into every MLflow model Plumb logs. It takes raw rows with the data contract's columns
(the key and the label may be left out), applies the feature transform fitted on the training
split (``transform.json``) the way Plumb's Spark jobs do, scores the XGBoost booster
(``model.ubj``) and returns, per row:

- ``probability``: the positive-class probability (NaN when the row cannot be scored);
- ``decision``: ``probability >= threshold``, the operating point stored with the model
  (``model.json``); None when the row cannot be scored;
- ``reasons``: empty when scored; otherwise why not, as ``plumb score`` writes them to its
  quarantine table (``null:<column>`` for a null in a column the contract declares non-nullable,
  ``type:<column>`` for a value that does not convert to the declared type).

An unseen category or a value outside the training range is scored (the transform's unseen
bucket), as in ``plumb score``. A NaN in a floating column counts as a null (pandas cannot tell
them apart). Date parts and time windows are computed in UTC, Plumb's default session time zone.
"""

import json
import math

import mlflow
import numpy as np
import pandas as pd
import xgboost as xgb
from mlflow.models import set_model

_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_MICROS_PER_DAY = 86_400_000_000


def _is_missing(values: pd.Series) -> pd.Series:
    return values.isna()


def _numbers(values: pd.Series) -> pd.Series:
    """The column as float64, None/NaN for what does not convert (Spark's try_cast to double)."""
    if values.dtype == bool:
        return values.astype("float64")
    if values.dtype == object:
        values = values.map(lambda v: float(v) if isinstance(v, bool) else v)
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _spark_double_text(v: float) -> str:
    """A double as Spark's cast to string writes it (Java's Double.toString)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    if 1e-3 <= abs(v) < 1e7:
        text = repr(v)
        return text if ("." in text or "e" in text) else text + ".0"
    mantissa, exponent = np.format_float_scientific(v, unique=True, trim="0").split("e")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


def _texts(values: pd.Series, declared: str) -> pd.Series:
    """The column as Spark's cast to string gives it; None for null."""

    def one(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
            return None
        if isinstance(v, (bool, np.bool_)):
            return "true" if v else "false"
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            if declared in ("int", "long"):
                return str(int(v))
            if declared == "float":
                return _spark_double_text(float(np.float32(v)))
            return _spark_double_text(float(v))
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d") if declared == "date" else str(v)
        return str(v)

    return values.map(one).astype(object)


def _micros(values: pd.Series) -> pd.Series:
    """Microseconds since the epoch (UTC) of a date/timestamp/text column; NaN when missing."""
    ts = pd.to_datetime(values, errors="coerce", utc=True)
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    ok = ts.notna()
    if ok.any():
        epoch = pd.Timestamp(0, tz="UTC")
        out[ok] = ((ts[ok] - epoch) // pd.Timedelta(microseconds=1)).astype("float64")
    return out


class PlumbRawRowModel(mlflow.pyfunc.PythonModel):
    """Raw rows in, probability and decision at the stored operating point out."""

    def load_context(self, context):
        artifacts = context.artifacts
        with open(artifacts["transform"], encoding="utf-8") as f:
            transform = json.load(f)
        with open(artifacts["metadata"], encoding="utf-8") as f:
            meta = json.load(f)
        with open(artifacts["raw_columns"], encoding="utf-8") as f:
            self.raw_columns = json.load(f)["columns"]
        self.spec = transform["spec"]
        self.state = transform["fitted_state"]
        self.feature_names = meta["feature_names"]
        self.iteration_end = int(meta.get("best_iteration", -1)) + 1
        point = meta.get("operating_point") or {}
        self.threshold = float(point.get("threshold", 0.5))
        self.booster = xgb.Booster()
        self.booster.load_model(artifacts["booster"])

    # -- the contract's row rules (as plumb score applies them) ------------------------------

    def _typed(self, raw: pd.DataFrame):
        """The columns as the contract's types, and each row's reasons for being unscorable."""
        reasons = [[] for _ in range(len(raw))]
        typed = {}
        for c in self.raw_columns:
            name, declared = c["name"], c.get("contract_type")
            if name not in raw.columns:
                continue
            values = raw[name].reset_index(drop=True)
            if declared is None or c.get("role") == "label":
                typed[name] = values
                continue
            present = ~_is_missing(values)
            if declared in ("int", "long", "double", "float"):
                cast = _numbers(values)
                if declared in _INT_RANGE:
                    low, high = _INT_RANGE[declared]
                    cast = np.trunc(cast).where((cast >= low) & (cast <= high))
                elif declared == "float":
                    cast = cast.astype("float32").astype("float64")
            elif declared == "boolean":
                cast = values.map(
                    lambda v: v if isinstance(v, (bool, np.bool_)) else
                    {"true": True, "false": False}.get(str(v).strip().lower())
                    if v is not None else None)
            elif declared in ("date", "timestamp"):
                cast = pd.Series(pd.to_datetime(values, errors="coerce"), index=values.index)
            else:
                cast = values
            bad_type = present & cast.isna()
            for i in np.flatnonzero(bad_type.to_numpy()):
                reasons[i].append("type:" + name)
            if not c.get("nullable", True):
                for i in np.flatnonzero((~present).to_numpy()):
                    reasons[i].append("null:" + name)
            typed[name] = cast
        return typed, [";".join(r) for r in reasons]

    # -- the fitted transform ----------------------------------------------------------------

    def _declared(self, column):
        for c in self.raw_columns:
            if c["name"] == column:
                return c.get("contract_type") or c.get("type")
        return None

    def _column(self, typed, n, name):
        if name in typed:
            return typed[name]
        return pd.Series([None] * n, dtype=object)

    def _window(self, f, typed, n):
        key = f.get("by") or self.spec["key"]
        event_time = self.spec.get("event_time") or ""
        micros = _micros(self._column(typed, n, event_time))
        keys = self._column(typed, n, key)
        values = _numbers(self._column(typed, n, f["column"])) if f.get("column") else None
        out = np.full(n, np.nan)
        span = f["days"] * _MICROS_PER_DAY
        frame = pd.DataFrame({"k": keys.to_numpy(), "t": micros.to_numpy()})
        usable = frame["k"].notna() & frame["t"].notna()
        for _, group in frame[usable].groupby("k", sort=False):
            order = np.argsort(group["t"].to_numpy(), kind="stable")
            rows = group.index.to_numpy()[order]
            times = group["t"].to_numpy()[order]
            # the frame [t - days, t): strictly earlier rows, at most `days` days earlier
            start = np.searchsorted(times, times - span, side="left")
            end = np.searchsorted(times, times, side="left")
            if f["fn"] == "count":
                out[rows] = (end - start).astype("float64")
                continue
            v = values.to_numpy()[rows]
            present = ~np.isnan(v)
            sums = np.concatenate([[0.0], np.cumsum(np.where(present, v, 0.0))])
            counts = np.concatenate([[0], np.cumsum(present)])
            total = sums[end] - sums[start]
            seen = counts[end] - counts[start]
            if f["fn"] == "sum":
                out[rows] = np.where(seen > 0, total, 0.0)
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[rows] = np.where(seen > 0, total / np.maximum(seen, 1), np.nan)
        return out

    def _features(self, typed, n) -> pd.DataFrame:
        out = {}
        for f in self.spec["features"]:
            name, kind = f["name"], f["type"]
            state = self.state.get(name) or {}
            if kind == "window":
                out[name] = self._window(f, typed, n)
                continue
            if kind in ("ratio", "difference"):
                left = _numbers(self._column(typed, n, f["left"])).to_numpy()
                right = _numbers(self._column(typed, n, f["right"])).to_numpy()
                with np.errstate(invalid="ignore", divide="ignore"):
                    if kind == "ratio":
                        out[name] = np.where(right == 0.0, np.nan, left / right)
                    else:
                        out[name] = left - right
                continue
            raw = self._column(typed, n, f["column"])
            if kind == "categorical":
                text = _texts(raw, self._declared(f["column"]))
                levels = [str(level) for level in state.get("levels", [])]
                if f.get("encoding", "index") == "index":
                    index = {level: float(i) for i, level in enumerate(levels)}
                    out[name] = text.map(lambda t: index.get(t, float(len(levels)))).to_numpy(
                        dtype="float64")
                else:
                    for level in levels:
                        column = name + "_" + "".join(
                            ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_"
                            for ch in level)
                        out[column] = (text == level).to_numpy(dtype="float64")
                    known = set(levels)
                    out[name + "__unseen"] = text.map(
                        lambda t: 0.0 if t in known else 1.0).to_numpy(dtype="float64")
                continue
            if kind == "missing_indicator":
                missing = raw.isna() | raw.map(lambda v: isinstance(v, str) and v == "NaN")
                out[name] = missing.to_numpy(dtype="float64")
                continue
            if kind == "date_part":
                ts = pd.to_datetime(raw, errors="coerce", utc=True)
                part = f["part"]
                if part == "day_of_week":
                    v = (ts.dt.dayofweek + 1) % 7 + 1
                elif part == "day":
                    v = ts.dt.day
                elif part == "day_of_year":
                    v = ts.dt.dayofyear
                else:
                    v = getattr(ts.dt, part)
                out[name] = v.to_numpy(dtype="float64", na_value=np.nan)
                continue
            x = _numbers(raw).to_numpy()
            missing = np.isnan(x)
            if kind == "numeric":
                fill = state.get("impute_value")
                out[name] = np.where(missing, float(fill), x) if fill is not None else x
            elif kind == "log1p":
                with np.errstate(invalid="ignore"):
                    out[name] = np.where(x > -1.0, np.log1p(np.where(x > -1.0, x, 0.0)), np.nan)
            elif kind == "clip":
                v = x.copy()
                if f.get("max") is not None:
                    v = np.where(x > f["max"], float(f["max"]), v)
                if f.get("min") is not None:
                    v = np.where(x < f["min"], float(f["min"]), v)
                out[name] = v
            elif kind == "quantile_buckets":
                edges = np.asarray(state.get("edges", []), dtype="float64")
                counts = (x[:, None] >= edges[None, :]).sum(axis=1).astype("float64")
                out[name] = np.where(missing, np.nan, counts)
            else:
                raise ValueError(f"feature '{name}': type '{kind}' is unknown to this model file")
        frame = pd.DataFrame(out)
        return frame[self.feature_names]

    def predict(self, context, model_input, params=None):
        raw = pd.DataFrame(model_input).reset_index(drop=True)
        typed, reasons = self._typed(raw)
        scorable = np.array([r == "" for r in reasons], dtype=bool)
        probability = np.full(len(raw), np.nan)
        rows = np.flatnonzero(scorable)
        if len(rows) > 0:
            # Window features see only the scored rows, as in plumb score.
            kept = {k: v.iloc[rows].reset_index(drop=True) for k, v in typed.items()}
            features = self._features(kept, len(rows))
            matrix = xgb.DMatrix(
                features.to_numpy(dtype="float64").astype("float32"),
                missing=np.nan,
                feature_names=self.feature_names,
            )
            scores = self.booster.predict(matrix, iteration_range=(0, self.iteration_end))
            probability[rows] = scores.astype("float64")
        decision = [bool(p >= self.threshold) if ok else None
                    for p, ok in zip(probability, scorable)]
        return pd.DataFrame(
            {"probability": probability, "decision": decision, "reasons": reasons})


set_model(PlumbRawRowModel())
