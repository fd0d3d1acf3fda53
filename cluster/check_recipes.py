#!/usr/bin/env python3
"""Checks the Databricks and EMR recipes offline, with the platforms' own client libraries, and
against the build they run.

  .plumb/venv/bin/python cluster/check_recipes.py            (cluster/local/python-env.sh installs
                                                              databricks-sdk, botocore and pyyaml)

What it checks, each mismatch one line naming the file and the fix; exit code 1 when any:
  - cluster/databricks/*.yml (Databricks Asset Bundles): every job under resources.jobs, its
    ${var.*} resolved from the bundle's variable defaults, goes through the Databricks SDK's
    JobSettings model (databricks.sdk.service.jobs); a field the model drops on the round trip is
    unknown to the Jobs API. Required fields, job cluster keys, Scala/Spark line and JDK 17 of
    spark_version, GPU settings, secret-scope token.
  - cluster/emr/*.json: RunJobFlow and AddJobFlowSteps request bodies, validated with botocore's
    ParamValidator against the EMR service model (no AWS call); release label, Delta, the RAPIDS /
    YARN GPU classifications, bootstrap scripts; spark-submit arguments of command-runner steps.
  - cluster/gpu/submit-gpu.sh: main class, the GPU jar, no classpath-order tricks.
  - cluster/kubernetes/submit-k8s.sh: main class, the CPU jar, Delta's version in --packages, the
    Plumb job, options and config keys of its usage line.
  - Against the build: the jars jobs/pom.xml builds (name, version, main class inside, no Delta,
    CPU XGBoost only in the CPU jar), the Plumb CLI (jobs and options from `Plumb --help`) and
    the config keys (`Plumb keys`) of every --set and of every conf/*.yaml a recipe names. The
    facts come from running the built jar, never from reading Java sources.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import yaml

MAIN_CLASS_DEFAULT = "dev.plumb.jobs.Plumb"

# Databricks Runtime LTS lines (release notes): Apache Spark version. JDK 17 is the default from
# 16.0; earlier runtimes need JNAME=zulu17-ca-amd64 (or -arm64) in spark_env_vars.
DBR_SPARK = {"14.3": "3.5.0", "15.4": "3.5.0", "16.4": "3.5.2"}
DBR_JDK17_DEFAULT_FROM = (16, 0)
JDK17_JNAMES = {"zulu17-ca-amd64", "zulu17-ca-arm64"}
# Databricks runtimes the RAPIDS Accelerator supports with Scala 2.12 (its download page).
RAPIDS_DBR_SCALA212 = {"14.3"}

# Amazon EMR releases (Release Guide, application versions): Spark and Delta. EMR 7.x runs Java 17
# by default.
EMR_RELEASES = {
    "emr-7.9.0": {"spark": "3.5.5", "delta": "3.3.0"},
    "emr-7.10.0": {"spark": "3.5.5", "delta": "3.3.0"},
    "emr-7.11.0": {"spark": "3.5", "delta": "3.3.2"},
    "emr-7.12.0": {"spark": "3.5.6", "delta": "3.3.2"},
}
EMR_CGROUP_ROOT_7X = "/spark-rapids-cgroup"
RAPIDS_PLUGIN = "com.nvidia.spark.SQLPlugin"

# spark-submit options that take a value (spark-submit --help).
SPARK_SUBMIT_VALUE_OPTS = {
    "--master", "--deploy-mode", "--class", "--name", "--jars", "--packages",
    "--exclude-packages", "--repositories", "--py-files", "--files", "--archives", "--conf",
    "-c", "--properties-file", "--driver-memory", "--driver-java-options",
    "--driver-library-path", "--driver-class-path", "--executor-memory", "--proxy-user",
    "--driver-cores", "--total-executor-cores", "--executor-cores", "--num-executors",
    "--principal", "--keytab", "--queue",
}
SPARK_SUBMIT_FLAGS = {"--supervise", "--verbose", "-v", "--help", "-h", "--version"}


class Checker:
    def __init__(self, root, cluster_dir, conf_dir, jar_dir, java):
        self.root = root
        self.cluster_dir = cluster_dir
        self.conf_dir = conf_dir
        self.jar_dir = jar_dir
        self.java = java
        self.errors = []
        self.checked = []

    def error(self, where, message):
        self.errors.append(f"{self.rel(where)}: {message}")

    def rel(self, path):
        for base in (self.cluster_dir, self.conf_dir, self.root):
            try:
                r = os.path.relpath(path, os.path.dirname(base))
                if not r.startswith(".."):
                    return r
            except ValueError:
                pass
        return path

    # ---------------------------------------------------------------- build facts

    def load_build(self):
        pom = os.path.join(self.root, "pom.xml")
        ns = {"m": "http://maven.apache.org/POM/4.0.0"}
        tree = ET.parse(pom).getroot()
        self.version = tree.find("m:version", ns).text.strip()
        props = {p.tag.split("}")[1]: (p.text or "").strip() for p in tree.find("m:properties", ns)}
        self.spark_version = props["spark.version"]
        self.scala = props["scala.binary.version"]
        self.delta_version = props["delta.version"]
        self.xgboost_version = props["xgboost.version"]
        self.cpu_jar_name = f"plumb-jobs-{self.version}-spark-submit.jar"
        self.gpu_jar_name = f"plumb-jobs-{self.version}-spark-submit-gpu.jar"
        self.xgboost_gpu_version = props.get("xgboost.gpu.version", self.xgboost_version)
        self.xgboost_gpu_jar_name = f"xgboost4j-spark-gpu_{self.scala}-{self.xgboost_gpu_version}.jar"
        self.jars = {}
        for name in (self.cpu_jar_name, self.gpu_jar_name):
            path = os.path.join(self.jar_dir, name)
            if not os.path.isfile(path):
                self.error(path, f"missing: build it with './mvnw -B -DskipTests package -pl jobs -am'"
                                 f" (jobs/pom.xml builds {self.cpu_jar_name} and {self.gpu_jar_name})")
                continue
            with zipfile.ZipFile(path) as z:
                entries = set(z.namelist())
                manifest = z.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
                pom_props = "META-INF/maven/dev.plumb/plumb-jobs/pom.properties"
                jar_version = None
                if pom_props in entries:
                    m = re.search(r"^version=(.+)$", z.read(pom_props).decode(), re.M)
                    jar_version = m.group(1).strip() if m else None
            self.jars[name] = entries
            if jar_version != self.version:
                self.error(path, f"the jar says version {jar_version}, pom.xml {self.version} (rebuild)")
            m = re.search(r"^Main-Class:\s*(\S+)", manifest, re.M)
            if not m or m.group(1) != MAIN_CLASS_DEFAULT:
                self.error(path, f"Main-Class is {m.group(1) if m else 'missing'}, not {MAIN_CLASS_DEFAULT}")
            if any(e.startswith("io/delta/") for e in entries):
                self.error(path, "contains io/delta/ classes: Databricks and EMR bring their own Delta"
                                 " (exclude io.delta:* from the shade artifactSet)")
            has_xgb = any(e.startswith("ml/dmlc/xgboost4j/") for e in entries)
            if name == self.gpu_jar_name and has_xgb:
                self.error(path, "contains ml/dmlc/xgboost4j/ classes: the GPU jar must leave XGBoost to"
                                 f" {self.xgboost_gpu_jar_name}")
            if name == self.cpu_jar_name and not has_xgb:
                self.error(path, "has no ml/dmlc/xgboost4j/ classes: the CPU jar must carry CPU XGBoost")
        if self.cpu_jar_name in self.jars:
            self.load_cli(os.path.join(self.jar_dir, self.cpu_jar_name))
        else:
            self.cli_jobs, self.cli_options, self.keys = set(), {}, {}

    def spark_classpath(self):
        try:
            import pyspark  # the venv's pyspark: the Spark the jar is submitted to
            jars = os.path.join(os.path.dirname(pyspark.__file__), "jars")
            if os.path.isdir(jars):
                return os.path.join(jars, "*")
        except ImportError:
            pass
        home = os.environ.get("SPARK_HOME")
        if home and os.path.isdir(os.path.join(home, "jars")):
            return os.path.join(home, "jars", "*")
        raise SystemExit("check_recipes: no Spark jars to run the Plumb jar with (run it with the venv"
                         " of cluster/local/python-env.sh, which has pyspark, or set SPARK_HOME)")

    def plumb(self, jar, *args):
        cmd = [self.java, "-cp", jar + os.pathsep + self.spark_classpath(), MAIN_CLASS_DEFAULT, *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise SystemExit(f"check_recipes: '{' '.join(args)}' failed ({p.returncode}):\n{p.stderr}")
        return p.stdout

    def load_cli(self, jar):
        help_text = self.plumb(jar, "--help")
        keys_text = self.plumb(jar, "keys")
        self.cli_jobs = set()
        self.cli_subcommands = {}
        self.cli_options = {}
        section = None
        for line in help_text.splitlines():
            if line.strip() in ("Jobs:", "Options:"):
                section = line.strip()
                continue
            if section == "Jobs:":
                m = re.match(r"^  (\w[\w-]*)\s{2,}", line)
                if m:
                    job = m.group(1)
                    self.cli_jobs.add(job)
                    # "'features list' lists ...; 'features apply --version V ...'"
                    self.cli_subcommands[job] = set(re.findall(r"'%s (\w+)" % re.escape(job), line))
            elif section == "Options:":
                m = re.match(r"^  (--[\w-]+)(?: (\S+))?\s{2,}", line)
                if m:
                    self.cli_options[m.group(1)] = m.group(2) is not None
        self.keys = {}
        for line in keys_text.splitlines():
            m = re.match(r"^  (\S+)\s+(string|int|double|boolean|list)\s", line)
            if m:
                self.keys[m.group(1)] = m.group(2)
        if not self.cli_jobs or not self.cli_options or not self.keys:
            raise SystemExit("check_recipes: could not read the jobs, options or keys from the jar's"
                             " 'Plumb --help' / 'Plumb keys' (did their format change?)")

    def check_jar_reference(self, where, jar_path, gpu):
        name = os.path.basename(jar_path)
        expected = self.gpu_jar_name if gpu else self.cpu_jar_name
        if name != expected:
            kind = "GPU" if gpu else "CPU"
            built = f"{self.cpu_jar_name} / {self.gpu_jar_name}"
            self.error(where, f"{kind} recipe runs {name}; it must run {expected} (the build makes {built})")
        return name

    def check_main_class(self, where, main_class, jar_name, at=""):
        entries = self.jars.get(jar_name)
        if entries is None:
            return
        if main_class.replace(".", "/") + ".class" not in entries:
            prefix = f"{at}: " if at else ""
            self.error(where, f"{prefix}main class {main_class} is not in {jar_name} (use {MAIN_CLASS_DEFAULT})")

    # ---------------------------------------------------------------- Plumb CLI and config

    def conf_file_for(self, location):
        """A config location on the platform (/Volumes/.../conf/x.yaml, s3://.../conf/x.yaml) is
        this repository's conf/x.yaml uploaded as a whole."""
        if location.startswith("conf/"):
            return os.path.join(self.conf_dir, location[len("conf/"):])
        idx = location.rfind("/conf/")
        if idx < 0:
            return None
        return os.path.join(self.conf_dir, location[idx + len("/conf/"):])

    def check_value_type(self, where, key, value, origin):
        ktype = self.keys.get(key) or ("string" if key.startswith("spark.conf.") else None)
        text = str(value).strip()
        if isinstance(value, bool):
            text = "true" if value else "false"
        if ktype == "int" and not re.fullmatch(r"-?\d+", text):
            self.error(where, f"{origin}: {key} = '{text}' is not an int")
        elif ktype == "double" and not re.fullmatch(r"-?\d+(\.\d*)?([eE]-?\d+)?", text):
            self.error(where, f"{origin}: {key} = '{text}' is not a number")
        elif ktype == "boolean" and text.lower() not in ("true", "false"):
            self.error(where, f"{origin}: {key} = '{text}' is not true/false")

    def check_key(self, where, key, origin):
        if key in self.keys:
            return True
        if key.startswith("spark.conf.") and len(key) > len("spark.conf."):
            return True
        self.error(where, f"{origin}: unknown config key '{key}' (not in 'Plumb keys' of {self.cpu_jar_name})")
        return False

    def flatten(self, doc, prefix=""):
        out = {}
        for k, v in (doc or {}).items():
            key = f"{prefix}{k}"
            if key == "spark.conf" and isinstance(v, dict):
                for sk, sv in v.items():
                    out[f"spark.conf.{sk}"] = sv
            elif isinstance(v, dict):
                out.update(self.flatten(v, key + "."))
            else:
                out[key] = v
        return out

    def load_conf(self, where, location):
        path = self.conf_file_for(location)
        if path is None:
            self.error(where, f"--conf {location}: not a conf/ file of this repository (upload conf/ and"
                              " name the file under its conf/ folder)")
            return None, {}
        if not os.path.isfile(path):
            self.error(where, f"--conf {location}: {self.rel(path)} does not exist")
            return None, {}
        with open(path) as f:
            doc = yaml.safe_load(f) or {}
        flat = self.flatten(doc)
        for key, value in flat.items():
            if self.check_key(path, key, "config file"):
                self.check_value_type(path, key, value, "config file")
        spec = flat.get("features.spec")
        if spec and "://" not in str(spec) and not str(spec).startswith("/"):
            if not os.path.isfile(os.path.join(os.path.dirname(path), str(spec))):
                self.error(path, f"features.spec '{spec}' (relative to the config file) does not exist")
        return path, flat

    def check_location_files(self, where, config):
        for key in ("ingest.contract", "evaluate.spec", "features.spec"):
            value = config.get(key)
            if value and "/conf/" in str(value):
                local = self.conf_file_for(str(value))
                if local and not os.path.isfile(local):
                    self.error(where, f"{key} = {value}: {self.rel(local)} does not exist in this repository")

    def check_plumb_args(self, where, args):
        """Plumb's own arguments (after the main class / the application jar); returns the effective
        config (file < --set) for platform rules."""
        if not args:
            self.error(where, "no Plumb job given")
            return {}
        job = args[0]
        if job not in self.cli_jobs:
            self.error(where, f"unknown Plumb job '{job}' (one of {', '.join(sorted(self.cli_jobs))})")
        config = {}
        sets = {}
        i = 1
        if len(args) > 1 and args[1] in self.cli_subcommands.get(job, ()):
            i = 2
        while i < len(args):
            opt = args[i]
            if not opt.startswith("-"):
                self.error(where, f"unexpected Plumb argument '{opt}' after '{' '.join(args[:i])}'")
                i += 1
                continue
            if opt.startswith("--") and "=" in opt:
                opt, inline = opt.split("=", 1)
                values = [inline]
            else:
                values = None
            if opt not in self.cli_options:
                self.error(where, f"unknown Plumb option '{opt}' (Plumb --help lists"
                                  f" {', '.join(sorted(self.cli_options))})")
                i += 1
                continue
            takes_value = self.cli_options[opt]
            if takes_value and values is None:
                if i + 1 >= len(args):
                    self.error(where, f"Plumb option {opt} needs a value")
                    break
                values = [args[i + 1]]
                i += 1
            i += 1
            if opt == "--conf":
                _, flat = self.load_conf(where, values[0])
                config.update(flat)
            elif opt == "--set":
                if "=" not in values[0]:
                    self.error(where, f"--set {values[0]}: must be key=value")
                    continue
                key, value = values[0].split("=", 1)
                if self.check_key(where, key, "--set"):
                    self.check_value_type(where, key, value, "--set")
                sets[key] = value
        config.update(sets)
        self.check_location_files(where, config)
        return config

    # ---------------------------------------------------------------- Databricks

    def resolve_vars(self, where, node, variables):
        if isinstance(node, dict):
            return {k: self.resolve_vars(where, v, variables) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve_vars(where, v, variables) for v in node]
        if isinstance(node, str):
            def sub(m):
                name = m.group(1)
                if name.startswith("var.") and name[4:] in variables:
                    return str(variables[name[4:]])
                self.error(where, f"${{{name}}} is not a bundle variable with a default")
                return m.group(0)
            return re.sub(r"\$\{([^}]+)\}", sub, node)
        return node

    def check_databricks(self, path):
        from databricks.sdk.service.jobs import JobSettings

        with open(path) as f:
            bundle = yaml.safe_load(f) or {}
        if not (bundle.get("bundle") or {}).get("name"):
            self.error(path, "bundle.name is missing")
        variables = {k: (v or {}).get("default") for k, v in (bundle.get("variables") or {}).items()}
        jobs = ((bundle.get("resources") or {}).get("jobs")) or {}
        if not jobs:
            self.error(path, "no resources.jobs")
        for job_key, raw in jobs.items():
            where = path
            job = self.resolve_vars(where, raw, variables)
            settings = JobSettings.from_dict(job)
            self.diff(where, f"resources.jobs.{job_key}", job, settings.as_dict())
            self.check_databricks_job(where, job_key, settings)
            self.checked.append(f"{self.rel(path)}: job {job_key}")

    def diff(self, where, at, given, model):
        """What the SDK model kept of the YAML: a dropped key is unknown to the Jobs API, a dropped
        or changed value is not one the API takes (an enum, a type)."""
        if isinstance(given, dict):
            if not isinstance(model, dict):
                self.error(where, f"{at}: not an object in the Jobs API")
                return
            for k, v in given.items():
                if k not in model:
                    if isinstance(v, (dict, list)) or not isinstance(v, (str, int, float, bool)):
                        self.error(where, f"{at}.{k}: unknown field of the Jobs API job settings")
                    else:
                        self.error(where, f"{at}.{k}: unknown field or invalid value '{v}' for the Jobs API")
                else:
                    self.diff(where, f"{at}.{k}", v, model[k])
        elif isinstance(given, list):
            if not isinstance(model, list) or len(model) != len(given):
                self.error(where, f"{at}: not a list the Jobs API takes")
                return
            for n, (g, m) in enumerate(zip(given, model)):
                self.diff(where, f"{at}[{n}]", g, m)
        elif str(given) != str(model) and not (isinstance(given, bool) and given == model):
            self.error(where, f"{at}: '{given}' became '{model}' in the Jobs API model")

    def check_databricks_job(self, where, job_key, s):
        at = f"resources.jobs.{job_key}"
        if not s.name:
            self.error(where, f"{at}.name is missing")
        if not s.tasks:
            self.error(where, f"{at}.tasks is empty")
            return
        params = {p.name: p.default for p in (s.parameters or [])}
        clusters = {c.job_cluster_key: c.new_cluster for c in (s.job_clusters or [])}
        for task in s.tasks:
            tat = f"{at}.tasks[{task.task_key}]"
            if not task.task_key:
                self.error(where, f"{at}.tasks: a task without task_key")
            cluster = clusters.get(task.job_cluster_key) if task.job_cluster_key else task.new_cluster
            if cluster is None:
                self.error(where, f"{tat}: job_cluster_key '{task.job_cluster_key}' is not in job_clusters"
                                  " (and no new_cluster)")
                continue
            gpu = self.check_databricks_cluster(where, tat, cluster)
            jar_task = task.spark_jar_task
            if jar_task is None:
                self.error(where, f"{tat}: not a spark_jar_task")
                continue
            jars = [lib.jar for lib in (task.libraries or []) if lib.jar]
            plumb_jars = [j for j in jars if os.path.basename(j).startswith("plumb-jobs-")]
            if len(plumb_jars) != 1:
                self.error(where, f"{tat}: libraries must hold exactly one plumb-jobs jar (found {plumb_jars})")
                continue
            if not plumb_jars[0].startswith("/Volumes/"):
                self.error(where, f"{tat}: the jar {plumb_jars[0]} is not on a Unity Catalog volume"
                                  " (/Volumes/<catalog>/<schema>/<volume>/...)")
            jar_name = self.check_jar_reference(where, plumb_jars[0], gpu)
            if not jar_task.main_class_name:
                self.error(where, f"{tat}: spark_jar_task.main_class_name is missing")
            else:
                self.check_main_class(where, jar_task.main_class_name, jar_name, tat)
            args = []
            for p in jar_task.parameters or []:
                def ref(m):
                    name = m.group(1)
                    if name not in params:
                        self.error(where, f"{tat}: {{{{job.parameters.{name}}}}} is not a job parameter")
                        return m.group(0)
                    return str(params[name])
                args.append(re.sub(r"\{\{\s*job\.parameters\.([\w-]+)\s*\}\}", ref, p))
            config = self.check_plumb_args(where, args)
            self.check_tracking_databricks(where, tat, config, cluster)
            self.check_device(where, tat, config, gpu)

    def check_databricks_cluster(self, where, at, c):
        conf = c.spark_conf or {}
        env = c.spark_env_vars or {}
        gpu = False
        if not c.spark_version:
            self.error(where, f"{at}: new_cluster.spark_version is missing")
            return gpu
        if not c.node_type_id and not c.instance_pool_id:
            self.error(where, f"{at}: new_cluster.node_type_id (or instance_pool_id) is missing")
        if c.num_workers is None and c.autoscale is None:
            self.error(where, f"{at}: new_cluster.num_workers (or autoscale) is missing")
        m = re.fullmatch(r"(\d+)\.(\d+)\.x-(?:(gpu-)?ml-)?(?:photon-)?scala(\d+\.\d+)", c.spark_version)
        if not m:
            self.error(where, f"{at}: spark_version '{c.spark_version}' is not a Databricks Runtime key"
                              " like 16.4.x-scala2.12")
            return gpu
        major, minor, gpu_rt, scala = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        line = f"{major}.{minor}"
        gpu = bool(gpu_rt) or RAPIDS_PLUGIN in str(conf.get("spark.plugins", ""))
        if scala != self.scala:
            self.error(where, f"{at}: {c.spark_version} is a Scala {scala} runtime; the jar is Scala {self.scala}")
        spark = DBR_SPARK.get(line)
        if spark is None:
            self.error(where, f"{at}: Databricks Runtime {line} is not one this checker knows"
                              f" ({', '.join(sorted(DBR_SPARK))}); add it with its Spark version")
        elif spark.rsplit(".", 1)[0] != self.spark_version.rsplit(".", 1)[0]:
            self.error(where, f"{at}: Databricks Runtime {line} runs Spark {spark}; the jar is built for"
                              f" Spark {self.spark_version}")
        if (major, minor) < DBR_JDK17_DEFAULT_FROM and env.get("JNAME") not in JDK17_JNAMES:
            self.error(where, f"{at}: Databricks Runtime {line} defaults to JDK 8 and Plumb needs 17: set"
                              " spark_env_vars JNAME=zulu17-ca-amd64 (or use 16.4 LTS)")
        token = env.get("DATABRICKS_TOKEN", "")
        if not re.fullmatch(r"\{\{secrets/[^/{}]+/[^/{}]+\}\}", token):
            self.error(where, f"{at}: spark_env_vars DATABRICKS_TOKEN must come from a secret scope"
                              " ({{secrets/<scope>/<key>}}), not be written in the recipe")
        if not env.get("DATABRICKS_HOST"):
            self.error(where, f"{at}: spark_env_vars DATABRICKS_HOST is missing (tracking.uri=databricks"
                              " reads it)")
        if conf.get("spark.dynamicAllocation.enabled", "").lower() != "false":
            self.error(where, f"{at}: spark_conf spark.dynamicAllocation.enabled must be \"false\" (XGBoost's"
                              " barrier stage cannot lose executors)")
        if gpu:
            if not gpu_rt:
                self.error(where, f"{at}: the RAPIDS plugin needs a GPU runtime (…-gpu-ml-scala{self.scala})")
            if RAPIDS_PLUGIN not in str(conf.get("spark.plugins", "")):
                self.error(where, f"{at}: spark_conf spark.plugins must include {RAPIDS_PLUGIN}")
            if line not in RAPIDS_DBR_SCALA212:
                self.error(where, f"{at}: the RAPIDS Accelerator does not support Databricks Runtime {line}"
                                  f" with Scala {self.scala} (supported: {', '.join(sorted(RAPIDS_DBR_SCALA212))})")
            for key in ("spark.task.resource.gpu.amount", "spark.executor.resource.gpu.amount"):
                if key not in conf:
                    self.error(where, f"{at}: spark_conf {key} is missing")
            if any("extraClassPath" in k for k in conf):
                self.error(where, f"{at}: extraClassPath puts jars ahead by classpath order; the GPU jar"
                                  " has no XGBoost to hide")
            xgb = env.get("PLUMB_XGBOOST_GPU_JAR")
            if xgb != self.xgboost_gpu_jar_name:
                self.error(where, f"{at}: PLUMB_XGBOOST_GPU_JAR is {xgb}; the build's XGBoost is"
                                  f" {self.xgboost_gpu_jar_name}")
            scripts = [i.volumes.destination for i in (c.init_scripts or []) if i.volumes]
            if not scripts:
                self.error(where, f"{at}: no init script on a volume installs the GPU XGBoost and RAPIDS jars")
            for s in scripts:
                local = os.path.join(os.path.dirname(where), os.path.basename(s))
                if not os.path.isfile(local):
                    self.error(where, f"{at}: init script {s}: {self.rel(local)} is not in this repository")
        return gpu

    def check_tracking_databricks(self, where, at, config, cluster):
        if config.get("tracking.mode", "mlflow") == "none":
            return
        if config.get("tracking.uri") != "databricks":
            self.error(where, f"{at}: tracking.uri is '{config.get('tracking.uri')}', not 'databricks'")
        exp = str(config.get("tracking.experiment", ""))
        if not (exp.startswith("/Users/") or exp.startswith("/Shared/")):
            self.error(where, f"{at}: tracking.experiment '{exp}' must be a workspace path (/Users/... or"
                              " /Shared/...)")

    def check_device(self, where, at, config, gpu):
        device = str(config.get("train.device", "cpu"))
        if gpu and device not in ("cuda", "auto"):
            self.error(where, f"{at}: a GPU recipe trains with train.device={device}; use cuda")
        if not gpu and device == "cuda":
            self.error(where, f"{at}: train.device=cuda on a CPU recipe")

    # ---------------------------------------------------------------- EMR

    def emr_client(self):
        if not hasattr(self, "_emr"):
            import botocore.session
            self._emr = botocore.session.get_session().create_client(
                "emr", region_name="us-east-1", aws_access_key_id="offline",
                aws_secret_access_key="offline")
        return self._emr

    def validate_emr(self, path, operation, params):
        from botocore.validate import ParamValidator
        shape = self.emr_client().meta.service_model.operation_model(operation).input_shape
        report = ParamValidator().validate(params, shape)
        if report.has_errors():
            for line in report.generate_report().splitlines():
                self.error(path, f"{operation}: {line.strip()}")

    def check_emr(self, path):
        with open(path) as f:
            try:
                params = json.load(f)
            except json.JSONDecodeError as e:
                self.error(path, f"not JSON: {e}")
                return
        if "Steps" in params and "JobFlowId" in params:
            self.validate_emr(path, "AddJobFlowSteps", params)
            self.check_emr_steps(path, params)
        elif "ReleaseLabel" in params or "Instances" in params:
            self.validate_emr(path, "RunJobFlow", params)
            self.check_emr_cluster(path, params)
        else:
            self.error(path, "neither a RunJobFlow nor an AddJobFlowSteps request body")
            return
        self.checked.append(self.rel(path))

    @staticmethod
    def classifications(configs):
        out = {}
        for c in configs or []:
            out[c.get("Classification")] = c
        return out

    def emr_is_gpu(self, params):
        groups = (params.get("Instances") or {}).get("InstanceGroups") or []
        return any(g.get("InstanceRole") in ("CORE", "TASK") and re.match(r"^(g|p)\d", g.get("InstanceType", ""))
                   for g in groups)

    def check_emr_cluster(self, path, params):
        label = params.get("ReleaseLabel", "")
        release = EMR_RELEASES.get(label)
        if release is None:
            self.error(path, f"ReleaseLabel '{label}' is not one this checker knows ({', '.join(EMR_RELEASES)});"
                             " add it with its Spark and Delta versions from the EMR Release Guide")
        else:
            if not release["spark"].startswith(self.spark_version.rsplit(".", 1)[0]):
                self.error(path, f"{label} runs Spark {release['spark']}; the jar is built for {self.spark_version}")
            if release["delta"] != self.delta_version:
                self.error(path, f"{label} ships Delta {release['delta']}; the jar is built against"
                                 f" {self.delta_version}")
        apps = {a.get("Name") for a in params.get("Applications") or []}
        if "Spark" not in apps:
            self.error(path, "Applications must include Spark")
        cls = self.classifications(params.get("Configurations"))
        delta = (cls.get("delta-defaults") or {}).get("Properties") or {}
        if delta.get("delta.enabled") != "true":
            self.error(path, "the delta-defaults classification must set delta.enabled=true (the jar has no"
                             " Delta of its own)")
        spark_defaults = (cls.get("spark-defaults") or {}).get("Properties") or {}
        if spark_defaults.get("spark.dynamicAllocation.enabled") != "false":
            self.error(path, "spark-defaults must set spark.dynamicAllocation.enabled=false (EMR enables it)")
        scripts = []
        for action in params.get("BootstrapActions") or []:
            script = (action.get("ScriptBootstrapAction") or {}).get("Path", "")
            local = os.path.join(os.path.dirname(path), os.path.basename(script))
            if not os.path.isfile(local):
                self.error(path, f"bootstrap action {script}: {self.rel(local)} is not in this repository")
            else:
                scripts.append(local)
        for local in scripts:
            self.check_bootstrap_mlflow(local)
        if self.emr_is_gpu(params):
            if (cls.get("spark") or {}).get("Properties", {}).get("enableSparkRapids") != "true":
                self.error(path, "GPU cluster: the spark classification must set enableSparkRapids=true")
            yarn = (cls.get("yarn-site") or {}).get("Properties") or {}
            if yarn.get("yarn.resource-types") != "yarn.io/gpu" or \
                    yarn.get("yarn.nodemanager.resource-plugins") != "yarn.io/gpu":
                self.error(path, "GPU cluster: yarn-site must declare the yarn.io/gpu resource type and plugin")
            ce = cls.get("container-executor") or {}
            sub = self.classifications(ce.get("Configurations"))
            if (sub.get("gpu") or {}).get("Properties", {}).get("module.enabled") != "true":
                self.error(path, "GPU cluster: container-executor > gpu must set module.enabled=true")
            cgroup_root = (sub.get("cgroups") or {}).get("Properties", {}).get("root")
            if label.startswith("emr-7.") and cgroup_root != EMR_CGROUP_ROOT_7X:
                self.error(path, f"GPU cluster on EMR 7.x: container-executor > cgroups root must be"
                                 f" {EMR_CGROUP_ROOT_7X} (mounted by a bootstrap action)")
            if label.startswith("emr-7.") and yarn.get(
                    "yarn.nodemanager.linux-container-executor.cgroups.mount-path") != EMR_CGROUP_ROOT_7X:
                self.error(path, f"GPU cluster on EMR 7.x: yarn-site cgroups.mount-path must be {EMR_CGROUP_ROOT_7X}")
            if label.startswith("emr-7.") and not any(
                    EMR_CGROUP_ROOT_7X in open(s).read() and "mount -t cgroup" in open(s).read()
                    for s in scripts):
                self.error(path, f"GPU cluster on EMR 7.x: no bootstrap action mounts cgroup v1 devices at"
                                 f" {EMR_CGROUP_ROOT_7X}")
            capacity = (cls.get("capacity-scheduler") or {}).get("Properties") or {}
            if not capacity.get("yarn.scheduler.capacity.resource-calculator", "").endswith(
                    "DominantResourceCalculator"):
                self.error(path, "GPU cluster: capacity-scheduler must use the DominantResourceCalculator")
            if RAPIDS_PLUGIN not in spark_defaults.get("spark.plugins", ""):
                self.error(path, f"GPU cluster: spark-defaults spark.plugins must include {RAPIDS_PLUGIN}")
            for key in ("spark.executor.resource.gpu.discoveryScript", "spark.executor.resource.gpu.amount",
                        "spark.task.resource.gpu.amount"):
                if key not in spark_defaults:
                    self.error(path, f"GPU cluster: spark-defaults {key} is missing")

    def check_bootstrap_mlflow(self, script):
        text = open(script).read()
        m = re.search(r"mlflow==([\w.]+)", text)
        if not m:
            return
        req = os.path.join(self.root, "cluster/local/requirements-mlflow.txt")
        pin = re.search(r"^mlflow==([\w.]+)", open(req).read(), re.M)
        if pin and pin.group(1) != m.group(1):
            self.error(script, f"installs mlflow {m.group(1)}; the client and local server are"
                               f" {pin.group(1)} (cluster/local/requirements-mlflow.txt)")

    def check_emr_steps(self, path, params):
        name = os.path.basename(path)
        pair = os.path.join(os.path.dirname(path), name.replace("add-job-flow-steps", "run-job-flow"))
        gpu_cluster = None
        if pair != path and os.path.isfile(pair):
            with open(pair) as f:
                gpu_cluster = self.emr_is_gpu(json.load(f))
        for n, step in enumerate(params.get("Steps") or []):
            at = f"Steps[{n}] ({step.get('Name')})"
            hjs = step.get("HadoopJarStep") or {}
            args = hjs.get("Args") or []
            if hjs.get("Jar") != "command-runner.jar" or not args or args[0] != "spark-submit":
                self.error(path, f"{at}: not a command-runner.jar spark-submit step")
                continue
            submit, app_jar, plumb_args = self.split_spark_submit(path, at, args[1:])
            if app_jar is None:
                continue
            gpu = os.path.basename(app_jar).endswith("-spark-submit-gpu.jar")
            if gpu_cluster is not None and gpu != gpu_cluster:
                self.error(path, f"{at}: runs the {'GPU' if gpu else 'CPU'} jar on the"
                                 f" {'GPU' if gpu_cluster else 'CPU'} cluster of {os.path.basename(pair)}")
                gpu = gpu_cluster
            jar_name = self.check_jar_reference(path, app_jar, gpu)
            main = submit.get("--class", [None])[-1]
            if not main:
                self.error(path, f"{at}: spark-submit has no --class")
            else:
                self.check_main_class(path, main, jar_name, at)
            extra_jars = ",".join(submit.get("--jars", [])).split(",")
            has_gpu_xgb = any(os.path.basename(j) == self.xgboost_gpu_jar_name for j in extra_jars)
            if gpu and not has_gpu_xgb:
                self.error(path, f"{at}: the GPU step must add {self.xgboost_gpu_jar_name} with --jars")
            if not gpu and any("xgboost4j" in j for j in extra_jars):
                self.error(path, f"{at}: the CPU jar carries CPU XGBoost; add no other XGBoost jar")
            confs = submit.get("--conf", [])
            if any("extraClassPath" in c for c in confs):
                self.error(path, f"{at}: extraClassPath: on EMR it replaces the cluster's own classpath"
                                 " settings, and the recipes do not rely on classpath order")
            if "--packages" in submit and any("delta" in p for p in submit["--packages"]):
                self.error(path, f"{at}: EMR provides Delta (delta-defaults); do not add it with --packages")
            config = self.check_plumb_args(path, plumb_args)
            self.check_device(path, at, config, gpu)
            uri = str(config.get("tracking.uri", ""))
            if config.get("tracking.mode", "mlflow") != "none" and not uri.startswith(("http://", "https://", "databricks")):
                self.error(path, f"{at}: tracking.uri '{uri}' is not an MLflow server URL")

    def split_spark_submit(self, where, at, args):
        opts = {}
        i = 0
        while i < len(args):
            a = args[i]
            if a in SPARK_SUBMIT_FLAGS:
                i += 1
                continue
            if a.startswith("--") and "=" in a:
                k, v = a.split("=", 1)
                opts.setdefault(k, []).append(v)
                i += 1
                continue
            if a in SPARK_SUBMIT_VALUE_OPTS:
                if i + 1 >= len(args):
                    self.error(where, f"{at}: spark-submit {a} needs a value")
                    return opts, None, []
                opts.setdefault(a, []).append(args[i + 1])
                i += 2
                continue
            if a.startswith("-"):
                self.error(where, f"{at}: unknown spark-submit option '{a}'")
                i += 1
                continue
            return opts, a, args[i + 1:]
        self.error(where, f"{at}: spark-submit has no application jar")
        return opts, None, []

    # ---------------------------------------------------------------- spark-submit script

    def check_submit_script(self, path, gpu=True):
        """A spark-submit script: cluster/gpu/submit-gpu.sh (the GPU jar) or
        cluster/kubernetes/submit-k8s.sh (the CPU jar, Delta by --packages)."""
        text = open(path).read()
        jar_name = self.gpu_jar_name if gpu else self.cpu_jar_name
        m = re.search(r"--class\s+(\S+)", text)
        if not m:
            self.error(path, "no --class")
        else:
            self.check_main_class(path, m.group(1).strip("\"'"), jar_name)
        suffix = "-spark-submit-gpu.jar" if gpu else "-spark-submit.jar"
        if suffix not in text:
            self.error(path, f"must submit {jar_name} (plumb-jobs-*{suffix})")
        if gpu and "extraClassPath" in text:
            self.error(path, "extraClassPath: the GPU jar has no XGBoost to hide; add the GPU XGBoost"
                             " jar with --jars only")
        for version in re.findall(r"io\.delta:delta-spark_[0-9.]+:([0-9][^\s\"',]*)", text):
            if version != self.delta_version:
                self.error(path, f"--packages names Delta {version}; the build has {self.delta_version}")
        script = os.path.relpath(path, os.path.dirname(self.cluster_dir))
        for usage in re.findall(r"^#\s+" + re.escape(script) + r" (.+)$", text, re.M):
            args = [a for a in shlex.split(usage) if a not in ("[--set", "key=value]...")]
            self.check_plumb_args(path, args)
        self.checked.append(self.rel(path))

    # ---------------------------------------------------------------- all

    def run(self):
        self.load_build()
        for path in sorted(glob.glob(os.path.join(self.cluster_dir, "databricks", "*.yml"))):
            self.check_databricks(path)
        for path in sorted(glob.glob(os.path.join(self.cluster_dir, "emr", "*.json"))):
            self.check_emr(path)
        script = os.path.join(self.cluster_dir, "gpu", "submit-gpu.sh")
        if os.path.isfile(script):
            self.check_submit_script(script)
        script = os.path.join(self.cluster_dir, "kubernetes", "submit-k8s.sh")
        if os.path.isfile(script):
            self.check_submit_script(script, gpu=False)
        if not self.checked:
            self.error(self.cluster_dir, "no recipes found (databricks/*.yml, emr/*.json, gpu/submit-gpu.sh)")
        # A config file two recipes name is reported once.
        self.errors = list(dict.fromkeys(self.errors))
        return not self.errors


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    default_root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=default_root, help="project root (pom.xml)")
    ap.add_argument("--cluster-dir", help="recipes folder (default <root>/cluster)")
    ap.add_argument("--conf-dir", help="configs the recipes name (default <root>/conf)")
    ap.add_argument("--jar-dir", help="built jars (default <root>/jobs/target)")
    ap.add_argument("--java", default=os.path.join(os.environ["JAVA_HOME"], "bin", "java")
                    if os.environ.get("JAVA_HOME") else "java")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    checker = Checker(
        root,
        os.path.abspath(a.cluster_dir or os.path.join(root, "cluster")),
        os.path.abspath(a.conf_dir or os.path.join(root, "conf")),
        os.path.abspath(a.jar_dir or os.path.join(root, "jobs", "target")),
        a.java)
    ok = checker.run()
    for line in checker.checked:
        print(f"checked {line}")
    if ok:
        print(f"recipes OK: {len(checker.checked)} checked against {checker.cpu_jar_name},"
              f" {checker.gpu_jar_name}, Spark {checker.spark_version}, Scala {checker.scala},"
              f" Delta {checker.delta_version}, XGBoost {checker.xgboost_version}")
        return 0
    for line in checker.errors:
        print(f"MISMATCH {line}", file=sys.stderr)
    print(f"recipes: {len(checker.errors)} mismatch(es)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
