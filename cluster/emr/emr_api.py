#!/usr/bin/env python3
"""Sends the EMR API request bodies in this folder, as they are, with botocore.

The AWS CLI cannot: `aws emr create-cluster` and `aws emr add-steps` are CLI customizations with
their own shorthand and no --cli-input-json, and the API operations behind them (RunJobFlow,
AddJobFlowSteps) have no CLI command of their own. This sends exactly the bodies that
cluster/check_recipes.py validates, after the same botocore parameter validation.

  cluster/emr/emr_api.py run-job-flow cluster/emr/run-job-flow-cpu.json \
      --replace my-plumb-bucket=$BUCKET --replace subnet-0123456789abcdef0=$SUBNET \
      --replace my-key-pair=$KEY_PAIR
  cluster/emr/emr_api.py add-job-flow-steps cluster/emr/add-job-flow-steps-cpu.json \
      --cluster-id j-... --replace my-plumb-bucket=$BUCKET [--plumb-job demo]
  ... --dry-run   prints the request after validation and sends nothing

Credentials and region: botocore's usual chain (AWS_PROFILE, AWS_REGION / AWS_DEFAULT_REGION,
~/.aws/config, instance roles). Needs botocore (cluster/local/requirements-recipes.txt).
"""

import argparse
import json
import sys

import botocore.session
from botocore.validate import ParamValidator

OPERATIONS = {"run-job-flow": ("RunJobFlow", "run_job_flow"),
              "add-job-flow-steps": ("AddJobFlowSteps", "add_job_flow_steps")}


def replace_strings(node, replacements):
    if isinstance(node, dict):
        return {k: replace_strings(v, replacements) for k, v in node.items()}
    if isinstance(node, list):
        return [replace_strings(v, replacements) for v in node]
    if isinstance(node, str):
        for old, new in replacements:
            node = node.replace(old, new)
    return node


def set_plumb_job(params, job):
    """The Plumb job is the argument right after the application jar of each spark-submit step."""
    for step in params.get("Steps", []):
        args = step["HadoopJarStep"]["Args"]
        jar = next(i for i, a in enumerate(args) if a.endswith(".jar") and "/plumb-jobs-" in a)
        step["Name"] = step["Name"].replace(args[jar + 1], job, 1)
        args[jar + 1] = job


def main(argv=None):
    ap = argparse.ArgumentParser(description="Send an EMR API request body (RunJobFlow, AddJobFlowSteps).")
    ap.add_argument("operation", choices=sorted(OPERATIONS))
    ap.add_argument("file")
    ap.add_argument("--replace", action="append", default=[], metavar="OLD=NEW",
                    help="replace a placeholder in every string (repeatable)")
    ap.add_argument("--cluster-id", help="add-job-flow-steps: the cluster (JobFlowId)")
    ap.add_argument("--plumb-job", help="add-job-flow-steps: run this Plumb job instead (e.g. demo)")
    ap.add_argument("--region", help="AWS region (default: botocore's configuration)")
    ap.add_argument("--dry-run", action="store_true", help="validate and print; send nothing")
    a = ap.parse_args(argv)

    with open(a.file) as f:
        params = json.load(f)
    pairs = []
    for r in a.replace:
        if "=" not in r:
            ap.error(f"--replace {r}: must be OLD=NEW")
        pairs.append(tuple(r.split("=", 1)))
    params = replace_strings(params, pairs)
    name, method = OPERATIONS[a.operation]
    if a.operation == "add-job-flow-steps":
        if a.cluster_id:
            params["JobFlowId"] = a.cluster_id
        if a.plumb_job:
            set_plumb_job(params, a.plumb_job)
    placeholders = ("my-plumb-bucket", "subnet-0123456789abcdef0", "my-key-pair", "j-XXXXXXXXXXXXX")
    leftover = [p for p in placeholders if p in json.dumps(params)]
    if leftover and not a.dry_run:
        ap.error(f"placeholders left: {', '.join(leftover)} (--replace them, or --cluster-id)")

    session = botocore.session.get_session()
    client = session.create_client("emr", region_name=a.region) if not a.dry_run else \
        session.create_client("emr", region_name=a.region or "us-east-1",
                              aws_access_key_id="dry-run", aws_secret_access_key="dry-run")
    shape = client.meta.service_model.operation_model(name).input_shape
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        print(report.generate_report(), file=sys.stderr)
        return 2
    if a.dry_run:
        print(json.dumps(params, indent=2))
        return 0
    response = getattr(client, method)(**params)
    response.pop("ResponseMetadata", None)
    print(json.dumps(response, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
