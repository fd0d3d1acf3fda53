#!/usr/bin/env python3
"""Turns the driver log of a Plumb run under the RAPIDS Accelerator's explain-only mode into a GPU
readiness report per stage.

In explain-only mode (spark.rapids.sql.mode=explainOnly, spark.rapids.sql.explain=ALL) RAPIDS runs
every query on the CPU and logs, for each physical plan, a tree of its operators and expressions:
'*' will run on the GPU, '!' cannot (with the reason), '@' could run but does not decide, '#' would
be removed. Plumb logs 'stage <name> ...' when a stage starts, so every tree belongs to the stage
whose marker came last. Each query's operators are counted once: adaptive query execution plans
every query stage again as it runs, and RAPIDS logs that stage's tree too (the same operators, a
part of the query's tree, or the same tree again); a tree found whole inside one already counted in
its stage is such a re-plan and is not counted again.

  readiness_report.py DRIVER_LOG OUT_JSON      -> writes OUT_JSON, prints a summary and its path
"""
import json
import re
import sys
from collections import Counter, OrderedDict

STAGE = re.compile(r"(?:dev\.)?plumb: stage (\w+) \.\.\.")
BLOCK_START = re.compile(r"GpuOverrides:\s*$")
# With spark.rapids.sql.suppressPlanningFailure=true a plan RAPIDS cannot convert stays wholly on
# the CPU; it logs this line with the exception (and no explain tree for that plan).
PLAN_FAILURE = re.compile(r"(?:Encountered an exception applying GPU overrides|Failed to apply GPU"
                          r" overrides, falling back on the original plan:) (\S+): (.*?)"
                          r"(?: Some\((.*))?$")
NODE = re.compile(r"^(\s*)([*!@#$])\s?(Exec|Expression|Partitioning|Input|Output|Part|Scan)?\s*"
                  r"<([^>]+)>\s?(.*)$")
# Delta Lake's own metadata queries (log replay, checkpoints, data skipping) run inside Plumb's
# stages but are not Plumb's Spark SQL: reported apart, not in the stage's gpu_share.
DELTA_METADATA = re.compile(r"delta\.actions\.|_delta_log|DataSkippingReader|SingleAction|"
                            r"delta\.stats\.|checkpoint\.parquet|InMemoryLogReplay|DeltaLog\$|JsonScan|"
                            # the aggregate of a snapshot's state (Snapshot.computedState)
                            r"numOfSetTransactions|domainMetadata")
NAMES = {"ingest": "ingest", "features": "features", "train": "training", "evaluate": "evaluation"}


def parse(lines):
    """(stage, tree text, nodes) for every explain tree in the log."""
    stage = "setup"
    trees = []
    i = 0
    while i < len(lines):
        m = STAGE.search(lines[i])
        if m:
            stage = NAMES.get(m.group(1), m.group(1))
            i += 1
            continue
        f = PLAN_FAILURE.search(lines[i])
        if f:
            where = re.search(r"<(\w+)>", f.group(3) or "")
            trees.append((stage, lines[i].strip(), [("", "X", "Plan",
                                                     where.group(1) if where else "plan",
                                                     f.group(1) + ": " + f.group(2))]))
            i += 1
            continue
        if BLOCK_START.search(lines[i]):
            nodes = []
            text = []
            i += 1
            while i < len(lines):
                n = NODE.match(lines[i].rstrip("\n"))
                if not n:
                    break
                nodes.append(n.groups())
                text.append(lines[i].strip())
                i += 1
            if nodes:
                trees.append((stage, "\n".join(text), nodes))
            continue
        i += 1
    return trees


def reason_of(rest):
    m = re.search(r"cannot run on GPU because (.*)$", rest)
    return m.group(1).strip() if m else rest.strip()


def report(trees):
    stages = OrderedDict()
    counted = {}
    for stage, text, nodes in trees:
        block = "\n" + text + "\n"
        earlier = counted.setdefault(stage, [])
        if any(block in e for e in earlier):
            continue  # a query stage of a query already counted, planned again by adaptive execution
        earlier.append(block)
        if DELTA_METADATA.search(text):
            stage = stage + " (Delta metadata)"
        s = stages.setdefault(stage, {"plans": 0, "plans_not_converted": 0, "operators": 0,
                                      "operators_on_gpu": 0, "expressions": 0,
                                      "expressions_on_gpu": 0, "_fallbacks": Counter()})
        s["plans"] += 1
        if nodes[0][1] == "X":
            # RAPIDS failed to plan it: the whole query runs on the CPU, its size unknown.
            s["plans_not_converted"] += 1
            s["_fallbacks"][("plan containing " + nodes[0][3],
                             "RAPIDS could not convert the plan, so all of it stays on the CPU ("
                             + nodes[0][4][:200] + ")")] += 1
            continue
        for indent, mark, kind, cls, rest in nodes:
            # '! <X>' (a class RAPIDS does not know) names no kind: Spark's operators end in Exec
            is_expression = kind == "Expression" or (kind is None and not cls.endswith("Exec"))
            if kind in ("Partitioning", "Input", "Output", "Part"):
                continue
            key = "expressions" if is_expression else "operators"
            if mark == "#":
                continue  # removed from the plan
            s[key] += 1
            if mark == "*" or (is_expression and mark == "@" and "could run on GPU" in rest):
                s[key + "_on_gpu"] += 1
            if mark == "!":
                s["_fallbacks"][(("expression " if is_expression else "operator ") + cls,
                                 reason_of(rest))] += 1
    out = OrderedDict()
    for stage, s in stages.items():
        fallbacks = [{"what": what, "reason": reason, "count": n}
                     for (what, reason), n in s.pop("_fallbacks").most_common()]
        s["gpu_share"] = round(s["operators_on_gpu"] / s["operators"], 4) if s["operators"] else None
        s["expression_gpu_share"] = (round(s["expressions_on_gpu"] / s["expressions"], 4)
                                     if s["expressions"] else None)
        s["fallbacks"] = fallbacks
        out[stage] = s
    return out


def main():
    log, target = sys.argv[1], sys.argv[2]
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = f.readlines()
    trees = parse(lines)
    if not trees:
        print(f"No RAPIDS explain output in {log}: was the run started with the RAPIDS jar,"
              " spark.sql.extensions=com.nvidia.spark.rapids.SQLExecPlugin and"
              " spark.rapids.sql.mode=explainOnly?", file=sys.stderr)
        return 2
    stages = report(trees)
    plumb = {k: v for k, v in stages.items() if "(Delta metadata)" not in k}
    total_ops = sum(s["operators"] for s in plumb.values())
    total_gpu = sum(s["operators_on_gpu"] for s in plumb.values())
    doc = OrderedDict([
        ("what", "GPU readiness from the RAPIDS Accelerator's explain-only mode: per stage, the"
                 " share of physical-plan operators that would run on the GPU and every fallback"
                 " with RAPIDS' reason (each query's operators counted once: a tree that adaptive"
                 " execution plans again, whole or a query stage of it, is not counted again; a plan"
                 " RAPIDS could not convert at all is counted in plans_not_converted and listed as"
                 " a fallback, its operators unknown and not in gpu_share)"),
        ("driver_log", log),
        ("stages", stages),
        ("overall", {"what": "Plumb's own plans (Delta metadata plans left out)",
                     "operators": total_ops, "operators_on_gpu": total_gpu,
                     "gpu_share": round(total_gpu / total_ops, 4) if total_ops else None}),
    ])
    with open(target, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("GPU readiness (RAPIDS explain-only), operators that would run on the GPU:")
    for stage, s in stages.items():
        share = "n/a" if s["gpu_share"] is None else f"{100 * s['gpu_share']:.1f}%"
        print(f"  {stage:<30} {share:>6}  ({s['operators_on_gpu']}/{s['operators']} operators in"
              f" {s['plans']} plans; expressions {s['expressions_on_gpu']}/{s['expressions']})"
              + (f"; {s['plans_not_converted']} plans RAPIDS could not convert (all CPU)"
                 if s["plans_not_converted"] else ""))
        for fb in s["fallbacks"][:8]:
            print(f"      ! {fb['what']} x{fb['count']}: {fb['reason'][:140]}")
    overall = doc["overall"]["gpu_share"]
    print(f"  Plumb's own plans overall: {'n/a' if overall is None else f'{100 * overall:.1f}%'}")
    print(f"report: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
