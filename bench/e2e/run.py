#!/usr/bin/env python3
"""End-to-end benchmark: Plumb's whole pipeline against a single-node Python peer (peer.py).

For each row count the same generated demo data (sharded Parquet in event_date= partitions, with
the demo's dirty rows) is written once by ``./plumb demo`` (which doubles as the warm-up round),
then each round runs, in alternating order so neither side always has the warmer page cache:

* Plumb: ``./plumb pipeline --conf conf/local.yaml --tracking none`` as a new process, with a
  fresh work dir (so the feature set is built, never a cache hit): ingest, features, train,
  evaluate (full mode, conf/eval/demo.yaml). Its wall time includes the launcher, the JVM and the
  Spark session; "start-up" is the wall time minus the four stages (JVM, Spark and Delta start,
  config checks, report writing, shut-down).
* the peer: ``.plumb/venv/bin/python bench/e2e/peer.py`` doing the same work with pyarrow, pandas,
  xgboost and scikit-learn; its "start-up" is interpreter start and imports.

Plumb's launcher maps its classes from a class-data archive (AppCDS, .plumb/cds) that the first
``plumb demo`` or ``plumb pipeline`` after a build records: here the warm-up records it when the
build has none, so every timed Plumb run starts as a user's second and later runs do.
``--peer plumb-without-cds`` runs Plumb with PLUMB_CDS=off in the peer's place, to measure what the
archive saves (same rounds, same data).

``--with-floor`` adds a third side to every round: ``bench/e2e/SparkFloor.java``, the least a user
of Plumb's own stack would write for the same loop (a Parquet-to-Delta copy, 8 unfitted features
written to Delta, XGBoost4J-Spark with Plumb's parameters, one ROC-AUC), started as Plumb starts
(its JVM options, collector, heap and class-data archive). It does less than both sides, so its
ratio to the peer is a lower bound of what any Plumb change can reach on this stack and machine.
The three sides take turns going first.

Peak memory is each process's maximum resident set size (os.wait4). Tracking is off on both sides
(the peer logs nothing anywhere). Results: a JSON file and a Markdown table of medians and ratios.

    .plumb/venv/bin/python bench/e2e/run.py --rows 1000000 5000000 --rounds 2
"""

import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STAGES = ["ingest", "features", "train", "evaluate"]


def run_measured(cmd, log_path, env=None):
    """Runs cmd, output to log_path; returns (wall seconds, peak RSS MB, exit code)."""
    with open(log_path, "w") as log:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, proc.returncode


def plumb_cmd(job, data, work, rows=None):
    cmd = ["./plumb", job, "--conf", "conf/local.yaml", "--tracking", "none",
           "--set", "ingest.input=" + data, "--set", "work_dir=" + work]
    if rows is not None:
        cmd += ["--set", "demo.rows=%d" % rows]
    return cmd


def find(tree, key):
    """The first value of key anywhere in a JSON tree, or None."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        tree = list(tree.values())
    if isinstance(tree, list):
        for v in tree:
            found = find(v, key)
            if found is not None:
                return found
    return None


def run_staged(cmd, log_path, name, env=None):
    """Runs a JVM side that logs "stage NAME done in S s" per stage; returns (log text, seconds by
    stage with start-up and shut-down and the total, peak RSS MB). Exits when it fails."""
    wall, rss, rc = run_measured(cmd, log_path, env)
    if rc != 0:
        sys.exit("%s failed (exit %d): see %s" % (name, rc, log_path))
    text = open(log_path).read()
    seconds = {s: float(v) for s, v in re.findall(r"stage (\w+) done in ([0-9.]+) s", text)}
    missing = [s for s in STAGES if s not in seconds]
    if missing:
        sys.exit("no timing for stage(s) %s in %s" % (missing, log_path))
    seconds["startup_and_shutdown"] = wall - sum(seconds[s] for s in STAGES)
    seconds["total"] = wall
    return text, seconds, rss


def run_plumb(data, work, log_path, extra_env=None):
    shutil.rmtree(work, ignore_errors=True)
    env = dict(os.environ, **(extra_env or {}))
    text, seconds, rss = run_staged(plumb_cmd("pipeline", data, work), log_path, "plumb pipeline", env)
    reports = glob.glob(os.path.join(work, "**", "evaluation.json"), recursive=True)
    if not reports:
        sys.exit("no evaluation.json under " + work)
    evaluation = json.load(open(reports[0]))
    ingest = json.load(open(os.path.join(work, "reports", "ingest-report.json")))
    features = os.path.join(work, "reports", "features-report.json")
    return {
        "seconds": seconds,
        "peak_rss_mb": rss,
        "test_roc_auc": evaluation["metrics"]["roc_auc"],
        "test_average_precision": evaluation["metrics"]["average_precision"],
        "rows_read": ingest.get("rows_read"),
        "evaluation_parts_s": find(evaluation, "timings_s"),
        "features_parts_s": json.load(open(features))["timings_s"] if os.path.exists(features) else None,
        "ingest_parts_s": ingest.get("timings_s"),
        "train_parts_s": train_parts(text),
    }


def train_parts(log_text):
    """The train stage's "seconds by part {a=1.2, b=3.4, ...}" log line as a dict, or None."""
    m = re.search(r"train: seconds by part \{([^}]*)\}", log_text)
    if not m:
        return None
    return {k.strip(): float(v) for k, v in (p.split("=") for p in m.group(1).split(","))}


def compile_floor(classes):
    """Compiles SparkFloor.java against Plumb's built jars (once per run; not timed)."""
    os.makedirs(classes)
    lib = os.path.join(ROOT, "jobs", "target", "dist", "lib", "*")
    rc = subprocess.call(["javac", "-nowarn", "-d", classes, "-cp", lib,
                          os.path.join(ROOT, "bench", "e2e", "SparkFloor.java")])
    if rc != 0:
        sys.exit("javac of bench/e2e/SparkFloor.java failed (exit %d)" % rc)


def run_floor(data, work, classes, log_path):
    """Runs SparkFloor as the launcher starts Plumb: the same JVM options, collector, heap and
    class-data archive (the floor's class comes after Plumb's class path, so the archive applies)."""
    shutil.rmtree(work, ignore_errors=True)
    dist = os.path.join(ROOT, "jobs", "target", "dist")
    jar = sorted(glob.glob(os.path.join(dist, "plumb-jobs-*.jar")))[0]
    cmd = ["java"] + open(os.path.join(dist, "jvm.options")).read().split()
    cmd += ["-XX:+UseParallelGC", "-Xmx4g"]
    archives = glob.glob(os.path.join(ROOT, ".plumb", "cds", "plumb-*.jsa"))
    if archives:
        cmd += ["-XX:SharedArchiveFile=" + archives[0], "-Xlog:cds=off,cds+dynamic=off",
                "-Xlog:cds=warning,cds+dynamic=warning:stderr"]
    cmd += ["-Dlog4j2.configurationFile=" + os.path.join(ROOT, "conf", "log4j2.properties"),
            "-Duser.timezone=UTC", "-cp", ":".join([jar, os.path.join(dist, "lib", "*"), classes]),
            "SparkFloor", data, work]
    text, seconds, rss = run_staged(cmd, log_path, "SparkFloor")
    auc = re.search(r"floor: test ROC-AUC ([0-9.]+)", text)
    return {"seconds": seconds, "peak_rss_mb": rss, "test_roc_auc": float(auc.group(1))}


def run_peer(data, out_json, log_path):
    python = os.path.join(ROOT, ".plumb", "venv", "bin", "python")
    cmd = [python, "bench/e2e/peer.py", "--input", data, "--conf", "conf/local.yaml",
           "--out", out_json]
    wall, rss, rc = run_measured(cmd, log_path)
    if rc != 0:
        return {"failed": True, "exit_code": rc, "peak_rss_mb": rss, "wall_s": wall,
                "log": log_path}
    result = json.load(open(out_json))
    seconds = dict(result["seconds"])
    staged = sum(seconds[s] for s in STAGES)
    seconds["startup_and_shutdown"] = wall - staged
    seconds["total"] = wall
    return {
        "seconds": seconds,
        "peak_rss_mb": rss,
        "test_roc_auc": result["test_roc_auc"],
        "test_average_precision": result.get("test_average_precision"),
        "rows_read": result.get("rows_read"),
    }


def median_of(rounds, side, key):
    values = [r[side]["seconds"][key] for r in rounds if not r[side].get("failed")]
    return statistics.median(values) if values else float("nan")


def table(results):
    floor = all("floor" in r for rounds in results.values() for r in rounds)
    if floor:
        lines = ["| rows | part | Plumb s | peer s | Plumb / peer | floor s | floor / peer | Plumb / floor |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    else:
        lines = ["| rows | part | Plumb s | peer s | Plumb / peer |", "| --- | --- | --- | --- | --- |"]
    for rows, rounds in results.items():
        for key in STAGES + ["startup_and_shutdown", "total"]:
            p, q = median_of(rounds, "plumb", key), median_of(rounds, "peer", key)
            name = "**end to end**" if key == "total" else key.replace("_", " ")
            line = "| %s | %s | %.1f | %.1f | %.2fx |" % (f"{int(rows):,}", name, p, q, p / q)
            if floor:
                f = median_of(rounds, "floor", key)
                line += " %.1f | %.2fx | %.2fx |" % (f, f / q, p / f)
            lines.append(line)
    lines.append("")
    lines.append("| rows | Plumb ROC-AUC | peer ROC-AUC | difference | Plumb peak RSS MB | peer peak RSS MB |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for rows, rounds in results.items():
        ok = [r for r in rounds if not r["peer"].get("failed")]
        pa = statistics.median(r["plumb"]["test_roc_auc"] for r in rounds)
        qa = statistics.median(r["peer"]["test_roc_auc"] for r in ok) if ok else float("nan")
        pm = max(r["plumb"]["peak_rss_mb"] for r in rounds)
        qm = max(r["peer"]["peak_rss_mb"] for r in rounds)
        lines.append("| %s | %.4f | %.4f | %+.4f | %.0f | %.0f |" % (f"{int(rows):,}", pa, qa, pa - qa, pm, qm))
    if floor:
        lines.append("")
        lines.append("| rows | floor ROC-AUC (8 unfitted features) | floor peak RSS MB |")
        lines.append("| --- | --- | --- |")
        for rows, rounds in results.items():
            fa = statistics.median(r["floor"]["test_roc_auc"] for r in rounds)
            fm = max(r["floor"]["peak_rss_mb"] for r in rounds)
            lines.append("| %s | %.4f | %.0f |" % (f"{int(rows):,}", fa, fm))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--root", default=os.path.join(ROOT, ".plumb", "bench", "e2e"))
    ap.add_argument("--out", default=None, help="JSON results (default ROOT/results.json)")
    ap.add_argument("--peer", choices=["python", "plumb-without-cds"], default="python",
                    help="what Plumb is compared with (default: the Python peer)")
    ap.add_argument("--with-floor", action="store_true",
                    help="also run bench/e2e/SparkFloor.java, the stack's floor, in every round")
    args = ap.parse_args()
    os.makedirs(args.root, exist_ok=True)
    classes = os.path.join(args.root, "floor-classes")
    shutil.rmtree(classes, ignore_errors=True)
    results = {}
    for rows in args.rows:
        data = os.path.join(args.root, "data-%d" % rows)
        warm = os.path.join(args.root, "work-warmup")
        shutil.rmtree(warm, ignore_errors=True)
        print("rows %d: writing data (if missing) and a warm-up run of plumb demo" % rows, flush=True)
        _, _, rc = run_measured(plumb_cmd("demo", data, warm, rows), os.path.join(args.root, "warmup-%d.log" % rows))
        if rc != 0:
            sys.exit("plumb demo failed: see " + os.path.join(args.root, "warmup-%d.log" % rows))
        if args.with_floor and not os.path.isdir(classes):
            # After the warm-up, which builds the distribution the floor compiles against.
            compile_floor(classes)
        archives = glob.glob(os.path.join(ROOT, ".plumb", "cds", "plumb-*.jsa"))
        print("rows %d: class-data archive %s" % (rows, archives[0] if archives else "none (PLUMB_CDS=off?)"),
              flush=True)
        rounds = []
        for r in range(args.rounds):
            if args.with_floor:
                sides = ["plumb", "peer", "floor"]
                order = sides[r % 3:] + sides[:r % 3]
            else:
                order = ["plumb", "peer"] if r % 2 == 0 else ["peer", "plumb"]
            entry = {}
            for side in order:
                log = os.path.join(args.root, "%s-%d-round%d.log" % (side, rows, r + 1))
                if side == "plumb":
                    entry["plumb"] = run_plumb(data, os.path.join(args.root, "work"), log)
                elif side == "floor":
                    entry["floor"] = run_floor(data, os.path.join(args.root, "work-floor"), classes, log)
                elif args.peer == "python":
                    entry["peer"] = run_peer(data, os.path.join(args.root, "peer-%d.json" % rows), log)
                else:
                    entry["peer"] = run_plumb(data, os.path.join(args.root, "work"), log,
                                              {"PLUMB_CDS": "off"})
                print("rows %d round %d %s: %s" % (rows, r + 1, side, json.dumps(entry[side])), flush=True)
            rounds.append(entry)
        results[str(rows)] = rounds
    out = args.out or os.path.join(args.root, "results.json")
    json.dump(results, open(out, "w"), indent=2)
    if args.peer != "python":
        print("peer: Plumb with PLUMB_CDS=off")
    print(table(results))
    print("results: " + out)


if __name__ == "__main__":
    main()
