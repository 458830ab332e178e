"""One command deploys a stage (issue 12):
scripts/deploy <stage> [--dry-run] [--skip-lambda-invoke]

1. infrastructure: create or update the stack `serverless-handbook-infra-<stage>` through a
   change set (printed: what is added, modified, removed; nothing when nothing changed);
2. generated settings: the committed zappa_settings.json with the stack's outputs filled in,
   written to var/zappa_settings.<stage>.json (untracked): queue URLs, the media and deploy
   buckets, the role (`manage_roles: false`), `vpc_config`, the consumers' SQS `events`;
3. the stage checks on that file (config/stage_checks.py, `generated=True`);
4. package: one `zappa package` per distinct `exclude` list, each function's own
   zappa_settings.py swapped in (the code is the same, only the settings module differs);
5. `zappa deploy` (first time) or `zappa update` of every function of the stage (the stage and
   its function stages: `dev`, `dev_workers`, `dev_browser`);
6. every SQS event source mapping gets ReportBatchItemFailures and its maximum concurrency
   (Zappa sets neither and resets neither);
7. every pipeline queue of the stack has exactly one consumer, and every mapping of the stage's
   functions reads a queue of the stack;
8. `zappa manage <stage> migrate` and a GET /health (skipped with --skip-lambda-invoke).

`scripts/deploy destroy <stage> [--yes]` undeploys the functions, empties and deletes the
buckets and deletes the stack. `preview-<name>` stages are derived from `dev`.
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from config.stage_checks import (
    StageSettingsError,
    companion_of,
    stage_errors,
    stage_resolve,
    zappa_settings_load,
)
from infra.template import (
    DATABASE_ENGINES,
    PROJECT,
    PROTECTED_STAGES,
    stack_name,
    template_body,
    template_parameters,
    template_render,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GENERATED_DIR = Path("var")
PREVIEW_PREFIX = "preview-"
PREVIEW_BASE = "dev"
WORKERS_SUFFIX = "workers"
# In the committed settings a consumer names its queue by the stack output that holds its ARN.
STACK_OUTPUT_PREFIX = "stack-output:"
PIPELINE_QUEUE_OUTPUTS = {"map": "MapQueueArn", "reduce": "ReduceQueueArn"}
# ...and a layer the deploy publishes by its name: the ARN (account, version) is the one AWS
# gives the published version, never typed.
PUBLISHED_LAYER_PREFIX = "published-layer:"
# What each such layer is published from: scripts/chromium-lambda layer builds it.
LAYER_BUILDS = {"serverless-handbook-chromium": "dist/chromium-layer-*.zip"}
DEFAULT_MAXIMUM_CONCURRENCY = 2  # the smallest value SQS event sources accept
STACK_POLL_SECONDS = 2
STACK_WAIT_SECONDS = 3600  # an RDS instance and its proxy take 10-20 minutes
NETWORK_RELEASE_SECONDS = 45 * 60  # Lambda keeps a deleted function's interfaces ~20 min


class DeployError(Exception):
    """A step failed; the message says which and what to do."""


def say(text: str) -> None:
    print(text, flush=True)


# --- Stages ------------------------------------------------------------------------------


def zappa_stage_name(stage: str) -> str:
    """Zappa's stage names match [a-zA-Z0-9_]: `preview-pr-7` deploys as `preview_pr_7`."""
    return stage.replace("-", "_")


def stage_settings_with_preview(committed: dict, *, stage: str) -> dict:
    """The committed settings, plus `preview_<name>` and its function stages derived from
    `dev` and dev's function stages when `stage` is a preview."""
    settings = json.loads(json.dumps(committed))
    main = zappa_stage_name(stage)
    if main in settings:
        return settings
    if not stage.startswith(PREVIEW_PREFIX) or len(stage) == len(PREVIEW_PREFIX):
        raise DeployError(
            f"stage '{stage}' is not in zappa_settings.json (previews are "
            f"named {PREVIEW_PREFIX}<name>)"
        )
    settings[main] = {"extends": PREVIEW_BASE}
    for name in list(committed):
        if companion_of(committed, name) == PREVIEW_BASE:
            function = name[len(PREVIEW_BASE) + 1 :]
            settings[f"{main}_{function}"] = {**committed[name], "extends": main}
    return settings


def function_stages(settings: dict, *, stage: str) -> list[str]:
    """The stage itself (the web function: API and schedules) and its function stages."""
    main = zappa_stage_name(stage)
    return [main, *sorted(name for name in settings if companion_of(settings, name) == main)]


def lambda_function_name(zappa_stage: str) -> str:
    """The name Zappa gives the function (zappa/cli.py: slugify(project + "-" + stage))."""
    import slugify  # python-slugify, Zappa's own dependency: the same result by construction

    return slugify.slugify(f"{PROJECT}-{zappa_stage}")


def consumer_timeout_seconds(settings: dict, *, stage: str) -> int:
    workers = f"{zappa_stage_name(stage)}_{WORKERS_SUFFIX}"
    name = workers if workers in settings else zappa_stage_name(stage)
    return int(stage_resolve(settings, name).get("timeout_seconds", 30))


# --- AWS clients (imported lazily: the stage checks and dry runs do not need them) --------


def aws_client(service: str):
    import boto3

    return boto3.client(service)


# --- 1. Infrastructure -------------------------------------------------------------------


def stack_status(*, cloudformation, name: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def stack_wait(*, cloudformation, name: str, verb: str) -> dict:
    deadline = time.monotonic() + STACK_WAIT_SECONDS
    while True:
        stack = stack_status(cloudformation=cloudformation, name=name)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise DeployError(f"stack {name} still {status} after {STACK_WAIT_SECONDS} s")
        time.sleep(STACK_POLL_SECONDS)
    if status not in (f"{verb}_COMPLETE", "UPDATE_COMPLETE", "CREATE_COMPLETE") and not (
        verb == "DELETE" and status == "DELETE_COMPLETE"
    ):
        events = (
            cloudformation.describe_stack_events(StackName=name)["StackEvents"] if stack else []
        )
        reasons = [
            f"  {event['LogicalResourceId']}: {event.get('ResourceStatusReason')}"
            for event in events
            if event["ResourceStatus"].endswith("_FAILED")
        ][:5]
        raise DeployError(f"stack {name} is {status}:\n" + "\n".join(reasons))
    return stack or {}


def change_lines(changes: list[dict]) -> list[str]:
    lines = []
    for change in changes:
        resource = change["ResourceChange"]
        replacement = " (replaced)" if resource.get("Replacement") == "True" else ""
        lines.append(
            f"  {resource['Action']:<7} {resource['LogicalResourceId']} "
            f"({resource['ResourceType']}){replacement}"
        )
    return lines


def stack_apply(*, stage: str, template: dict, parameters: dict, dry_run: bool) -> bool:
    """Create or update the stage's stack through a change set; True when something changed."""
    cloudformation = aws_client("cloudformation")
    name = stack_name(stage)
    existing = stack_status(cloudformation=cloudformation, name=name)
    if existing and existing["StackStatus"] == "REVIEW_IN_PROGRESS":
        cloudformation.delete_stack(StackName=name)  # a change set never executed
        stack_wait(cloudformation=cloudformation, name=name, verb="DELETE")
        existing = None
    if not existing:
        # A new stack: create_stack, not a change set (moto's CloudFormation gives a stack
        # created from a change set no outputs); the plan is the template's resources.
        resources = resources_created(template, parameters=parameters)
        say(
            f"  {'would create' if dry_run else 'create'} stack {name} with "
            f"{len(resources)} resources:"
        )
        for logical, kind in sorted(resources.items()):
            say(f"  Add     {logical} ({kind})")
        if dry_run:
            return True
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=template_body(template),
            Parameters=[
                {"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
            OnFailure="DELETE",
            Tags=[{"Key": "stage", "Value": stage}, {"Key": "project", "Value": PROJECT}],
        )
        stack_wait(cloudformation=cloudformation, name=name, verb="CREATE")
        return True
    change_set = f"deploy-{int(time.time())}"
    cloudformation.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType="UPDATE",
        TemplateBody=template_body(template),
        Parameters=[
            {"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Tags=[{"Key": "stage", "Value": stage}, {"Key": "project", "Value": PROJECT}],
    )
    described = change_set_wait(cloudformation=cloudformation, name=name, change_set=change_set)
    if described["Status"] == "FAILED":
        cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
        if "didn't contain changes" in described.get(
            "StatusReason", ""
        ) or "No updates" in described.get("StatusReason", ""):
            say(f"  stack {name}: no changes")
            return False
        raise DeployError(f"change set of {name} failed: {described.get('StatusReason')}")
    say(f"  stack {name}: update, {len(described['Changes'])} change(s)")
    for line in change_lines(described["Changes"]):
        say(line)
    if dry_run:
        cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
        return True
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    stack_wait(cloudformation=cloudformation, name=name, verb="UPDATE")
    return True


def resources_created(template: dict, *, parameters: dict) -> dict[str, str]:
    """Logical id -> type of the resources whose condition holds (stage.yaml's conditions are
    `Fn::Equals` of a parameter and a literal, combined with `Fn::And` / `Fn::Not`)."""

    def holds(condition: str) -> bool:
        return evaluate(template["Conditions"][condition])

    def evaluate(expression: dict) -> bool:
        ((function, arguments),) = expression.items()
        if function == "Condition":
            return holds(arguments)
        if function == "Fn::And":
            return all(evaluate(argument) for argument in arguments)
        if function == "Fn::Not":
            return not evaluate(arguments[0])
        left, right = arguments  # Fn::Equals
        return (
            parameters.get(left["Ref"], template["Parameters"][left["Ref"]].get("Default")) == right
        )

    return {
        logical: resource["Type"]
        for logical, resource in template["Resources"].items()
        if "Condition" not in resource or holds(resource["Condition"])
    }


def stack_parameter(stage: str, key: str) -> str | None:
    """The value the stage's stack was last deployed with; None without a stack."""
    stack = stack_status(cloudformation=aws_client("cloudformation"), name=stack_name(stage))
    return {
        parameter["ParameterKey"]: parameter["ParameterValue"]
        for parameter in (stack or {}).get("Parameters", [])
    }.get(key)


def existing_database_for_stack(stage: str, requested: bool | None) -> bool:
    """Without --existing-database a stage keeps what its stack has (a new one gets its own
    database); turning it on for a stack with its own database would delete that database."""
    current = stack_parameter(stage, "UseExistingDatabase")
    if current == "false" and requested:
        raise DeployError(
            f"stack {stack_name(stage)} has its own database: --existing-database would "
            f"delete it and its data. Dump it into the other database first, then destroy "
            f"and deploy the stage again."
        )
    if requested is None:
        return current == "true"
    return requested


def nat_gateway_for_stack(stage: str, requested: bool | None) -> bool:
    """Without --nat/--no-nat a stage keeps what its stack has (a new one has none, for its
    idle cost): a deploy that forgot the flag must not cut the browser off the internet."""
    if requested is None:
        return stack_parameter(stage, "UseNatGateway") == "true"
    return requested


def engine_for_stack(stage: str, requested: str | None) -> str:
    """A new stack gets the engine asked for (postgres by default); an existing one keeps its
    own: another engine would replace the database, and its data with it."""
    current = stack_parameter(stage, "DatabaseEngine")
    if current and requested and requested != current:
        raise DeployError(
            f"stack {stack_name(stage)} runs its database on {current}: moving it to "
            f"{requested} would replace the database and lose its data. Dump and restore it "
            f"into a new stage instead."
        )
    return current or requested or DATABASE_ENGINES[0]


def change_set_wait(*, cloudformation, name: str, change_set: str) -> dict:
    deadline = time.monotonic() + 600
    while True:
        described = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED") or time.monotonic() > deadline:
            return described
        time.sleep(STACK_POLL_SECONDS)


def stack_outputs(*, stage: str) -> dict[str, str]:
    stack = stack_status(cloudformation=aws_client("cloudformation"), name=stack_name(stage))
    if not stack:
        raise DeployError(f"stack {stack_name(stage)} does not exist: deploy the stage first")
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def database_endpoint(*, stage: str, outputs: dict) -> dict[str, str]:
    """The proxy's endpoint (or the database's where there is no proxy) and the secret RDS
    manages for the instance or the Aurora cluster: the RDS API has both once the stack
    exists."""
    from botocore.exceptions import ClientError

    rds = aws_client("rds")
    if "DatabaseInstanceId" in outputs:
        database = rds.describe_db_instances(DBInstanceIdentifier=outputs["DatabaseInstanceId"])[
            "DBInstances"
        ][0]
        direct_host = database["Endpoint"]["Address"]
    elif "DatabaseClusterId" in outputs:
        database = rds.describe_db_clusters(DBClusterIdentifier=outputs["DatabaseClusterId"])[
            "DBClusters"
        ][0]
        direct_host = database["Endpoint"]  # the writer's
    else:
        return {}  # an existing database: its DATABASE_URL is in the stage secret
    values = {"DATABASE_SECRET_ARN": database.get("MasterUserSecret", {}).get("SecretArn", "")}
    try:
        proxy = rds.describe_db_proxies(DBProxyName=f"{PROJECT}-{stage}")["DBProxies"][0]
        values["DATABASE_HOST"] = proxy["Endpoint"]
    except ClientError:
        # moto's CloudFormation does not create the proxy; AWS always does (stage.yaml)
        say("  no RDS Proxy found: the functions connect to the database directly")
        values["DATABASE_HOST"] = direct_host
    return {key: value for key, value in values.items() if value}


# --- 2. Generated settings -------------------------------------------------------------


def events_filled(events: list[dict], *, outputs: dict) -> list[dict]:
    filled = []
    for event in events:
        source = event.get("event_source")
        arn = source.get("arn", "") if isinstance(source, dict) else ""
        if arn.startswith(STACK_OUTPUT_PREFIX):
            key = arn[len(STACK_OUTPUT_PREFIX) :]
            if key not in outputs:
                raise DeployError(
                    f"event of {event.get('function')} names the stack output "
                    f"{key}, which the stack does not have"
                )
            event = {**event, "event_source": {**source, "arn": outputs[key]}}
        filled.append(event)
    return filled


def generated_settings(
    committed: dict,
    *,
    stage: str,
    outputs: dict,
    database: dict,
    skip_lambda_invoke: bool,
    layer_arn=None,
) -> dict:
    """`layer_arn(name)` gives the ARN of a `published-layer:<name>` (layers_publisher);
    without it (destroy, which needs no layer) such layers are left as they are."""
    settings = stage_settings_with_preview(committed, stage=stage)
    stack_environment = {
        "STAGE": stage,
        "PIPELINE_MAP_QUEUE_URL": outputs["MapQueueUrl"],
        "PIPELINE_REDUCE_QUEUE_URL": outputs["ReduceQueueUrl"],
        "MEDIA_BUCKET": outputs["MediaBucketName"],
        **database,
    }
    generated = {}
    for name in function_stages(settings, stage=stage):
        resolved = stage_resolve(settings, name)
        own = {
            **settings[name],
            "s3_bucket": outputs["DeployBucketName"],
            "role_arn": outputs["LambdaRoleArn"],
            "manage_roles": False,
            "vpc_config": {
                "SubnetIds": outputs["SubnetIds"].split(","),
                "SecurityGroupIds": [outputs["FunctionSecurityGroupId"]],
            },
            # the whole dict: Zappa's `extends` would replace, not merge, a partial one
            "environment_variables": {
                **(resolved.get("environment_variables") or {}),
                **stack_environment,
            },
            "events": events_filled(resolved.get("events") or [], outputs=outputs),
        }
        if resolved.get("layers") and layer_arn:
            own["layers"] = [
                layer_arn(layer.removeprefix(PUBLISHED_LAYER_PREFIX))
                if layer.startswith(PUBLISHED_LAYER_PREFIX)
                else layer
                for layer in resolved["layers"]
            ]
        if skip_lambda_invoke:
            own["touch"] = False  # the touch is a GET through API Gateway into the function
        generated[name] = own
    return {**settings, **generated}


def layers_publisher(*, deploy_bucket: str):
    """`layer_arn(name)` for generated_settings, one look-up per layer and deploy."""
    resolved: dict[str, str] = {}

    def layer_arn(name: str) -> str:
        if name not in resolved:
            resolved[name] = layer_version_arn(name, deploy_bucket=deploy_bucket)
        return resolved[name]

    return layer_arn


def layer_version_arn(name: str, *, deploy_bucket: str) -> str:
    """The version of the layer that holds its local build, published (through the deploy
    bucket: a Chromium layer is over the 50 MB direct upload) when no version holds it yet;
    without a local build, the latest version."""
    import base64
    import hashlib

    if name not in LAYER_BUILDS:
        raise DeployError(
            f"{PUBLISHED_LAYER_PREFIX}{name}: the deploy publishes only {', '.join(LAYER_BUILDS)}"
        )
    lambda_client = aws_client("lambda")
    versions = lambda_client.list_layer_versions(LayerName=name).get("LayerVersions", [])
    latest = max(versions, key=lambda version: version["Version"], default=None)
    builds = sorted(PROJECT_ROOT.glob(LAYER_BUILDS[name]), key=lambda path: path.stat().st_mtime)
    if not builds:
        if latest is None:
            raise DeployError(
                f"layer {name} was never published and there is no "
                f"{LAYER_BUILDS[name]} to publish: run scripts/chromium-lambda "
                f"layer, then deploy again"
            )
        say(f"  layer {name}: version {latest['Version']} (no local build to compare)")
        return latest["LayerVersionArn"]
    build = builds[-1]
    digest = base64.b64encode(hashlib.sha256(build.read_bytes()).digest()).decode()
    if (
        latest
        and lambda_client.get_layer_version(LayerName=name, VersionNumber=latest["Version"])[
            "Content"
        ]["CodeSha256"]
        == digest
    ):
        say(f"  layer {name}: version {latest['Version']} holds {build.name} already")
        return latest["LayerVersionArn"]
    key = f"layers/{name}/{build.name}"
    aws_client("s3").upload_file(str(build), deploy_bucket, key)
    published = lambda_client.publish_layer_version(
        LayerName=name,
        Description=build.name,
        CompatibleRuntimes=["python3.12"],
        Content={"S3Bucket": deploy_bucket, "S3Key": key},
    )
    say(f"  layer {name}: published version {published['Version']} from {build.name}")
    return published["LayerVersionArn"]


def generated_settings_path(stage: str) -> Path:
    return GENERATED_DIR / f"zappa_settings.{stage}.json"


# --- 3-5. Checks, package, deploy ----------------------------------------------------------


def run(
    command: list[str], *, what: str, rollback: str | None = None, passed_over=lambda output: False
) -> str:
    """Run one of our scripts; its failure stops the deploy, unless `passed_over(output)`
    says the failure is one to go on after."""
    say(f"  $ {' '.join(command)}")
    process = subprocess.run(  # noqa: S603 - our scripts
        command,
        cwd=PROJECT_ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if process.returncode != 0 and not passed_over(process.stdout):
        hint = f"\nto roll back the code: {rollback}" if rollback else ""
        raise DeployError(
            f"{what} failed (exit {process.returncode}):\n{process.stdout[-4000:]}{hint}"
        )
    return process.stdout


def settings_errors(settings: dict, *, names: list[str]) -> list[str]:
    return [
        f"stage '{name}': {error}"
        for name in names
        for error in stage_errors(settings, name, generated=True)
    ]


def packages_build(
    settings: dict, *, names: list[str], settings_file: Path, build_dir: Path
) -> dict[str, Path]:
    """One `zappa package` per distinct `exclude` list; the other functions of the group get
    a copy with their own zappa_settings.py (what `zappa package` would have written)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    built: dict[str, Path] = {}
    archives: dict[str, Path] = {}
    for name in names:
        group = json.dumps(
            [
                stage_resolve(settings, name).get(key)
                for key in ("exclude", "exclude_glob", "slim_handler")
            ]
        )
        archive = build_dir / f"{name}.zip"
        if group not in built:
            run(
                ["scripts/zappa", "package", name, "-s", str(settings_file), "-o", str(archive)],
                what=f"packaging {name}",
            )
            built[group] = archive
        else:
            module = build_dir / name / "zappa_settings.py"
            module.parent.mkdir(parents=True, exist_ok=True)
            run(
                [
                    "scripts/zappa",
                    "save-python-settings-file",
                    name,
                    "-s",
                    str(settings_file),
                    "-o",
                    str(module),
                ],
                what=f"settings module of {name}",
            )
            archive_with_settings(built[group], archive, module)
        archives[name] = archive
        say(f"  {name}: {archive} ({archive.stat().st_size / 2**20:.1f} MiB)")
    return archives


def archive_with_settings(source: Path, target: Path, module: Path) -> None:
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for item in original.infolist():
            if item.filename != "zappa_settings.py":
                copy.writestr(item, original.read(item.filename))
        copy.write(module, "zappa_settings.py")


def emulator_lacks_function_urls(zappa_output: str) -> bool:
    """moto 5.2.5 has no ListFunctionUrlConfigs and answers 404. `zappa update` calls it
    after updating the code and the configuration (to delete function URLs the stage does not
    use) and before it schedules the events; AWS answers it. Only against an emulator
    (AWS_ENDPOINT_URL, which a deploy to AWS never sets) is that one failure passed over."""
    import os

    return (
        bool(os.environ.get("AWS_ENDPOINT_URL"))
        and "(404) when calling the ListFunctionUrlConfigs operation" in zappa_output
    )


def function_exists(name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        aws_client("lambda").get_function(FunctionName=name)
        return True
    except ClientError:
        return False


# --- 6-7. Event source mappings ----------------------------------------------------------


def maximum_concurrency_by_queue(settings: dict, *, names: list[str]) -> dict[str, int]:
    return {
        event["event_source"]["arn"]: int(
            event["event_source"].get("maximum_concurrency", DEFAULT_MAXIMUM_CONCURRENCY)
        )
        for name in names
        for event in stage_resolve(settings, name).get("events") or []
        if isinstance(event.get("event_source"), dict)
        and ":sqs:" in event["event_source"].get("arn", "")
    }


def mappings_of(*, function_names: list[str], queue_arns: list[str]) -> list[dict]:
    """Every event source mapping of the stage's functions or of the stack's queues."""
    lambda_client = aws_client("lambda")
    found: dict[str, dict] = {}
    for function in function_names:
        for page in lambda_client.get_paginator("list_event_source_mappings").paginate(
            FunctionName=function
        ):
            found.update({m["UUID"]: m for m in page["EventSourceMappings"]})
    for arn in queue_arns:
        for page in lambda_client.get_paginator("list_event_source_mappings").paginate(
            EventSourceArn=arn
        ):
            found.update({m["UUID"]: m for m in page["EventSourceMappings"]})
    return list(found.values())


def mappings_configure(*, mappings: list[dict], concurrency: dict[str, int]) -> None:
    lambda_client = aws_client("lambda")
    for mapping in mappings:
        arn = mapping["EventSourceArn"]
        if ":sqs:" not in arn or arn not in concurrency:
            continue
        lambda_client.update_event_source_mapping(
            UUID=mapping["UUID"],
            FunctionResponseTypes=["ReportBatchItemFailures"],
            ScalingConfig={"MaximumConcurrency": concurrency[arn]},
        )
        say(
            f"  {arn.rsplit(':', 1)[1]} -> {mapping['FunctionArn'].rsplit(':', 1)[1]}: "
            f"ReportBatchItemFailures, maximum concurrency {concurrency[arn]}"
        )


def mapping_errors(*, mappings: list[dict], queue_arns: list[str]) -> list[str]:
    """Every queue of the stack has exactly one consumer; every mapping reads a stack queue."""
    errors = []
    for arn in queue_arns:
        consumers = [
            m["FunctionArn"].rsplit(":", 1)[1] for m in mappings if m["EventSourceArn"] == arn
        ]
        if not consumers:
            errors.append(f"queue {arn} has no consumer (an event source mapping)")
        elif len(consumers) > 1:
            errors.append(
                f"queue {arn} has {len(consumers)} consumers: "
                f"{', '.join(sorted(consumers))}; exactly one"
            )
    errors += [
        f"function {m['FunctionArn'].rsplit(':', 1)[1]} consumes {m['EventSourceArn']}, "
        f"a queue that is not in the stage's stack"
        for m in mappings
        if m["EventSourceArn"] not in queue_arns
    ]
    return errors


# --- 8. Lambda invocations ---------------------------------------------------------------


def health_check(*, zappa_stage: str) -> None:
    import urllib.request

    apis = aws_client("apigateway").get_rest_apis(limit=500)["items"]
    api = next((api for api in apis if api["name"] == lambda_function_name(zappa_stage)), None)
    if not api:
        raise DeployError(f"no API Gateway API named {lambda_function_name(zappa_stage)}")
    region = aws_client("lambda").meta.region_name
    url = f"https://{api['id']}.execute-api.{region}.amazonaws.com/{zappa_stage}/health"
    with urllib.request.urlopen(url, timeout=30) as response:
        say(f"  GET {url}: {response.status}")
        if response.status != 200:
            raise DeployError(f"GET {url} answered {response.status}")


# --- The commands ----------------------------------------------------------------------------


def deploy(
    *,
    stage: str,
    dry_run: bool = False,
    skip_lambda_invoke: bool = False,
    use_existing_database: bool | None = None,
    use_nat_gateway: bool | None = None,
    database_engine: str | None = None,
    committed_file: Path = PROJECT_ROOT / "zappa_settings.json",
) -> None:
    committed = zappa_settings_load(committed_file)
    settings = stage_settings_with_preview(committed, stage=stage)
    names = function_stages(settings, stage=stage)
    steps = 8
    say(f"==> 1/{steps} infrastructure: stack {stack_name(stage)} (functions: {', '.join(names)})")
    template = template_render(
        stage=stage, consumer_timeout_seconds=consumer_timeout_seconds(settings, stage=stage)
    )
    parameters = template_parameters(
        stage=stage,
        use_existing_database=existing_database_for_stack(stage, use_existing_database),
        use_nat_gateway=nat_gateway_for_stack(stage, use_nat_gateway),
        database_engine=engine_for_stack(stage, database_engine),
    )
    stack_apply(stage=stage, template=template, parameters=parameters, dry_run=dry_run)
    if dry_run:
        say(
            f"==> dry run: would then write {generated_settings_path(stage)}, check it, "
            f"package and {'/'.join(('deploy', 'update'))} {', '.join(names)}, configure and "
            "check the SQS mappings"
            + (
                ""
                if skip_lambda_invoke
                else f", run `zappa manage {names[0]} migrate` and GET /health"
            )
        )
        return

    say(f"==> 2/{steps} generated settings from the stack's outputs")
    outputs = stack_outputs(stage=stage)
    generated = generated_settings(
        committed,
        stage=stage,
        outputs=outputs,
        database=database_endpoint(stage=stage, outputs=outputs),
        skip_lambda_invoke=skip_lambda_invoke,
        layer_arn=layers_publisher(deploy_bucket=outputs["DeployBucketName"]),
    )
    settings_file = generated_settings_path(stage)
    (PROJECT_ROOT / settings_file).parent.mkdir(parents=True, exist_ok=True)
    (PROJECT_ROOT / settings_file).write_text(json.dumps(generated, indent=2) + "\n")
    say(f"  wrote {settings_file}")

    say(f"==> 3/{steps} stage checks of {settings_file}; existing mappings")
    errors = settings_errors(generated, names=names)
    if errors:
        raise DeployError("the generated settings fail the stage checks:\n  " + "\n  ".join(errors))

    queue_arns = [outputs[key] for key in PIPELINE_QUEUE_OUTPUTS.values()]
    function_names = [lambda_function_name(name) for name in names]
    # Before anything is built: a mapping of the stage's functions to a foreign queue would
    # fail step 7 after the code changed; fail now, with nothing changed.
    foreign = [
        error
        for error in mapping_errors(
            mappings=mappings_of(
                function_names=[name for name in function_names if function_exists(name)],
                queue_arns=[],
            ),
            queue_arns=queue_arns,
        )
        if "not in the stage's stack" in error
    ]
    if foreign:
        raise DeployError("event source mappings:\n  " + "\n  ".join(foreign))

    say(f"==> 4/{steps} package")
    build_dir = GENERATED_DIR / "build" / stage
    archives = packages_build(
        generated, names=names, settings_file=settings_file, build_dir=PROJECT_ROOT / build_dir
    )

    say(f"==> 5/{steps} deploy the functions")
    for name in names:
        verb = "update" if function_exists(lambda_function_name(name)) else "deploy"
        rollback = f"scripts/zappa rollback {name} -s {settings_file} -n 1"
        output = run(
            ["scripts/zappa", verb, name, "-s", str(settings_file), "--zip", str(archives[name])],
            what=f"zappa {verb} {name}",
            rollback=rollback if verb == "update" else None,
            passed_over=emulator_lacks_function_urls if verb == "update" else lambda output: False,
        )
        if emulator_lacks_function_urls(output):
            say(
                "  the emulator has no ListFunctionUrlConfigs: the rest of the update "
                "(schedules, event sources) runs as `zappa schedule`"
            )
            run(
                ["scripts/zappa", "schedule", name, "-s", str(settings_file)],
                what=f"zappa schedule {name}",
                rollback=rollback,
            )
        say(f"  {verb}d {lambda_function_name(name)}")

    say(f"==> 6/{steps} SQS event source mappings: ReportBatchItemFailures, concurrency")
    mappings = mappings_of(function_names=function_names, queue_arns=queue_arns)
    mappings_configure(
        mappings=mappings, concurrency=maximum_concurrency_by_queue(generated, names=names)
    )

    say(f"==> 7/{steps} every stack queue has exactly one consumer")
    errors = mapping_errors(mappings=mappings, queue_arns=queue_arns)
    if errors:
        raise DeployError("event source mappings:\n  " + "\n  ".join(errors))
    say(f"  {len(queue_arns)} queues, {len(mappings)} mappings: ok")

    if skip_lambda_invoke:
        say(f"==> 8/{steps} migrate and GET /health: skipped (--skip-lambda-invoke)")
    else:
        say(f"==> 8/{steps} migrate and GET /health")
        run(
            ["scripts/zappa", "manage", names[0], "migrate", "-s", str(settings_file)],
            what="migrate",
            rollback=f"scripts/zappa rollback {names[0]} -s {settings_file} -n 1",
        )
        health_check(zappa_stage=names[0])
    say(f"stage {stage} deployed")


def bucket_empty_and_delete(bucket: str) -> None:
    from botocore.exceptions import ClientError

    s3 = aws_client("s3")
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            objects = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
        s3.delete_bucket(Bucket=bucket)
        say(f"  emptied and deleted bucket {bucket}")
    except ClientError as exc:
        if "NoSuchBucket" not in str(exc):
            raise


def rest_apis_delete(name: str) -> None:
    """The REST APIs still named after the function once `zappa undeploy` deleted its API
    stack. On AWS the API goes with the stack and there are none; moto's CloudFormation
    deletes the stack but leaves the API (Zappa's own fallback deletes by name the same way,
    but only when the stack delete reports failure)."""
    apigateway = aws_client("apigateway")
    for page in apigateway.get_paginator("get_rest_apis").paginate():
        for api in page.get("items", []):
            if api.get("name") == name:
                apigateway.delete_rest_api(restApiId=api["id"])
                say(f"  deleted the REST API {name} left after its stack")


def network_release(*, stage: str) -> None:
    """What keeps a VPC from being deleted goes first, each step waiting for the last:
    - the network interfaces Lambda made for the functions outlive them by up to about
      20 minutes, and a subnet or security group that still has one cannot be deleted;
    - then the VPC endpoints (their interfaces sit in the subnets too);
    - then the route tables. moto's CloudFormation never deletes endpoints or route tables
      (the preview rehearsal's DependencyViolation); on AWS, CloudFormation counts a resource
      already gone as deleted, so doing it here changes nothing there."""
    cloudformation, ec2 = aws_client("cloudformation"), aws_client("ec2")
    physical: dict[str, list[str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(
        StackName=stack_name(stage)
    ):
        for resource in page["StackResourceSummaries"]:
            if resource.get("PhysicalResourceId"):
                physical.setdefault(resource["ResourceType"], []).append(
                    resource["PhysicalResourceId"]
                )
    subnets = physical.get("AWS::EC2::Subnet", [])

    def lambda_interfaces() -> list[dict]:
        if not subnets:
            return []
        interfaces = ec2.describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": subnets}]
        )["NetworkInterfaces"]
        return [
            interface
            for interface in interfaces
            if interface.get("InterfaceType") == "lambda"
            or interface.get("Description", "").startswith("AWS Lambda VPC ENI")
        ]

    wait_until(
        lambda: not lambda_interfaces(),
        what="Lambda's network interfaces to go",
        timeout=NETWORK_RELEASE_SECONDS,
    )
    endpoints = physical.get("AWS::EC2::VPCEndpoint", [])
    if endpoints:
        ec2.delete_vpc_endpoints(VpcEndpointIds=endpoints)

        def endpoints_gone() -> bool:
            from botocore.exceptions import ClientError

            try:
                described = ec2.describe_vpc_endpoints(VpcEndpointIds=endpoints)["VpcEndpoints"]
            except ClientError as exc:
                if "NotFound" in str(exc):  # AWS forgets them once deleted
                    return True
                raise
            return all(endpoint["State"].lower() == "deleted" for endpoint in described)

        wait_until(
            endpoints_gone, what="the VPC endpoints to be deleted", timeout=NETWORK_RELEASE_SECONDS
        )
        say(f"  deleted {len(endpoints)} VPC endpoints")
    tables = physical.get("AWS::EC2::RouteTable", [])
    if tables:
        for table in ec2.describe_route_tables(RouteTableIds=tables)["RouteTables"]:
            for association in table.get("Associations", []):
                if not association.get("Main"):
                    ec2.disassociate_route_table(
                        AssociationId=association["RouteTableAssociationId"]
                    )
            ec2.delete_route_table(RouteTableId=table["RouteTableId"])
        say(f"  deleted {len(tables)} route table(s)")


def wait_until(condition, *, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise DeployError(
                f"gave up waiting for {what} after {timeout:.0f} s; run the destroy again later"
            )
        time.sleep(STACK_POLL_SECONDS * 5)


def destroy(
    *, stage: str, yes: bool = False, committed_file: Path = PROJECT_ROOT / "zappa_settings.json"
) -> None:
    if stage in PROTECTED_STAGES:
        raise DeployError(
            f"{stage} is protected: its database has deletion protection and keeps a final "
            "snapshot. Turn protection off first (aws rds modify-db-instance "
            f"--db-instance-identifier {PROJECT}-{stage} --no-deletion-protection) and delete "
            f"the stack {stack_name(stage)} by hand if you really mean it"
        )
    if not yes:
        try:
            answer = input(
                f"Destroy stage {stage}: its functions, queues, buckets (emptied), "
                f"database and stack {stack_name(stage)}? Type the stage name: "
            )
        except EOFError:  # no terminal
            answer = ""
        if answer.strip() != stage:
            raise DeployError("not confirmed; nothing was destroyed")
    committed = zappa_settings_load(committed_file)
    settings = stage_settings_with_preview(committed, stage=stage)
    names = function_stages(settings, stage=stage)
    outputs = stack_outputs(stage=stage)
    say(f"==> 1/4 undeploy the functions: {', '.join(names)}")
    generated = generated_settings(
        committed, stage=stage, outputs=outputs, database={}, skip_lambda_invoke=True
    )
    settings_file = generated_settings_path(stage)
    (PROJECT_ROOT / settings_file).parent.mkdir(parents=True, exist_ok=True)
    (PROJECT_ROOT / settings_file).write_text(json.dumps(generated, indent=2) + "\n")
    for name in names:
        if function_exists(lambda_function_name(name)):
            run(
                [
                    "scripts/zappa",
                    "undeploy",
                    name,
                    "-s",
                    str(settings_file),
                    "--yes",
                    "--remove-logs",
                ],
                what=f"zappa undeploy {name}",
            )
        rest_apis_delete(lambda_function_name(name))
    say("==> 2/4 empty and delete the buckets (the stack retains them)")
    for key in ("MediaBucketName", "DeployBucketName"):
        bucket_empty_and_delete(outputs[key])
    say("==> 3/4 release the network: the functions' interfaces, endpoints, route tables")
    network_release(stage=stage)
    say(f"==> 4/4 delete stack {stack_name(stage)}")
    cloudformation = aws_client("cloudformation")
    cloudformation.delete_stack(StackName=stack_name(stage))
    stack_wait(cloudformation=cloudformation, name=stack_name(stage), verb="DELETE")
    (PROJECT_ROOT / settings_file).unlink(missing_ok=True)
    shutil.rmtree(PROJECT_ROOT / GENERATED_DIR / "build" / stage, ignore_errors=True)
    say(f"stage {stage} destroyed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/deploy", description="Deploy a stage with one command, or `destroy <stage>`."
    )
    parser.add_argument("stage", help="dev, staging, prod, preview-<name>; or `destroy`")
    parser.add_argument("destroy_stage", nargs="?", help="with `destroy`: the stage")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument(
        "--skip-lambda-invoke",
        action="store_true",
        help="skip migrate and GET /health (an emulator cannot invoke Lambda)",
    )
    parser.add_argument(
        "--existing-database",
        action="store_true",
        default=None,
        help="no RDS in the stack: DATABASE_URL is in the stage secret "
        "(when the stack is created; later deploys keep it)",
    )
    parser.add_argument(
        "--nat",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a NAT gateway, for functions that reach the internet (--no-nat removes it); "
        "without either, an existing stack keeps what it has",
    )
    parser.add_argument(
        "--database-engine",
        choices=DATABASE_ENGINES,
        help="the stack's database, when it is created (default postgres); "
        "an existing stack keeps its own",
    )
    parser.add_argument("--yes", action="store_true", help="destroy without asking")
    args = parser.parse_args(argv)
    try:
        if args.stage == "destroy":
            if not args.destroy_stage:
                parser.error("usage: scripts/deploy destroy <stage> [--yes]")
            destroy(stage=args.destroy_stage, yes=args.yes)
        else:
            if args.destroy_stage:
                parser.error(f"unexpected argument {args.destroy_stage}")
            deploy(
                stage=args.stage,
                dry_run=args.dry_run,
                skip_lambda_invoke=args.skip_lambda_invoke,
                use_existing_database=args.existing_database,
                use_nat_gateway=args.nat,
                database_engine=args.database_engine,
            )
    except (DeployError, StageSettingsError) as exc:
        print(f"scripts/deploy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
