"""The real `scripts/deploy` rehearsed against moto's server (real boto3 and Zappa over HTTP).

Run from a copy of the project in a temporary directory, so the checkout stays as it was (no
var/, staticfiles/ or .venv-deploy/ written into it). The deploy virtualenv is cached across
runs (DEPLOY_VENV). Steps moto cannot perform (invoking a function: migrate, GET /health) are
skipped by the command's explicit --skip-lambda-invoke flag; everything else runs.

Two places where moto 5.2.5 falls short are handled inside the command, not here: `zappa
update` calls ListFunctionUrlConfigs, which moto answers 404 (the command passes over that one
failure against an emulator only and finishes the update with `zappa schedule`); moto's
CloudFormation never deletes route tables or VPC endpoints (the destroy releases the network
before it deletes the stack, as it must on AWS for Lambda's interfaces anyway).
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.config.test_lambda_package import NOT_SOURCE
from tests.zappa_lambda import PROJECT_ROOT

# Long: the second step of CI, `scripts/test -m slow` (README, "Tests").
pytestmark = pytest.mark.slow

CHROMIUM_LAYER = "serverless-handbook-chromium"
CHROMIUM_LAYER_BUILD = "chromium-layer-153.0.0.zip"
PREVIEW = "preview-pr-9"
WEB, WORKERS, BROWSER = (
    "serverless-handbook-dev",
    "serverless-handbook-dev-workers",
    "serverless-handbook-dev-browser",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("deploy") / "project"
    shutil.copytree(PROJECT_ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCE), symlinks=True)
    (copy / ".venv").symlink_to((PROJECT_ROOT / ".venv").resolve())
    return copy


@pytest.fixture(scope="module")
def deployer(aws, project):
    """`deployer("dev", "--skip-lambda-invoke")` runs scripts/deploy in the project copy."""
    aws.reset()
    # Given the browser's Chromium layer built (scripts/chromium-lambda layer), not published:
    # the deploy publishes it
    (project / "dist").mkdir(exist_ok=True)
    with zipfile.ZipFile(project / "dist" / CHROMIUM_LAYER_BUILD, "w") as zipped:
        zipped.writestr("chromium/README", "stand-in for the Chromium build")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    environment = {
        **os.environ,
        **aws.environment(),
        "DEPLOY_VENV": os.environ.get(
            "DEPLOY_VENV", str(cache / "serverless-handbook-test" / "deploy-venv")
        ),
    }
    timings = []

    def run(*args: str, directory: Path = project) -> subprocess.CompletedProcess:
        started = time.perf_counter()
        process = subprocess.run(
            [str(directory / "scripts" / "deploy"), *args],
            cwd=directory,
            env=environment,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=1800,
        )
        timings.append((" ".join(args), time.perf_counter() - started))
        return process

    yield run
    print(
        "\nrehearsal timings: " + ", ".join(f"{what}: {seconds:.0f} s" for what, seconds in timings)
    )
    print(
        "package sizes: "
        + ", ".join(
            f"{archive.stem}: {archive.stat().st_size / 2**20:.1f} MiB"
            for archive in sorted((project / "var" / "build" / "dev").glob("*.zip"))
        )
    )


@pytest.fixture(scope="module")
def first_deploy(deployer):
    process = deployer("dev", "--skip-lambda-invoke")
    assert process.returncode == 0, process.stdout[-6000:] + process.stderr[-3000:]
    return process


def stack_outputs(aws, stage: str) -> dict[str, str]:
    stack = aws.client("cloudformation").describe_stacks(
        StackName=f"serverless-handbook-infra-{stage}"
    )["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


def test_dev_deploy_builds_the_network_and_the_database(aws, first_deploy):
    # then the stack's VPC has two private subnets, the endpoints and the database
    outputs = stack_outputs(aws, "dev")
    ec2 = aws.client("ec2")
    subnets = outputs["SubnetIds"].split(",")
    vpc_ids = {subnet["VpcId"] for subnet in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]}
    assert len(subnets) == 2 and len(vpc_ids) == 1
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": list(vpc_ids)}])[
        "VpcEndpoints"
    ]
    assert {endpoint["ServiceName"].rsplit(".", 1)[1] for endpoint in endpoints} == {
        "s3",
        "sqs",
        "secretsmanager",
        "logs",
        "monitoring",
    }
    assert not ec2.describe_nat_gateways()["NatGateways"]  # NAT is off for dev
    database = aws.client("rds").describe_db_instances(
        DBInstanceIdentifier="serverless-handbook-dev"
    )["DBInstances"][0]
    assert database["Engine"] == "postgres" and database["PubliclyAccessible"] is False
    assert database["DBSubnetGroup"]["VpcId"] in vpc_ids


def test_dev_deploy_creates_the_queues_with_their_dead_letter_queues(aws, first_deploy):
    sqs = aws.client("sqs")
    for step in ("map", "reduce"):
        url = sqs.get_queue_url(QueueName=f"serverless-handbook-dev-{step}")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == 10
        assert redrive["deadLetterTargetArn"].endswith(f"serverless-handbook-dev-{step}-dlq")
        assert int(attributes["VisibilityTimeout"]) == 6 * 120  # 6 x dev_workers' timeout
        dead_letters = sqs.get_queue_url(QueueName=f"serverless-handbook-dev-{step}-dlq")[
            "QueueUrl"
        ]
        assert sqs.get_queue_attributes(
            QueueUrl=dead_letters, AttributeNames=["MessageRetentionPeriod"]
        )["Attributes"]["MessageRetentionPeriod"] == str(14 * 86400)


def test_dev_deploy_creates_each_function_with_its_settings(aws, project, first_deploy):
    outputs = stack_outputs(aws, "dev")
    lambda_client = aws.client("lambda")
    expected = {WEB: (512, 30), WORKERS: (1024, 120), BROWSER: (2560, 30)}
    for name, (memory, timeout) in expected.items():
        configuration = lambda_client.get_function_configuration(FunctionName=name)
        assert (configuration["MemorySize"], configuration["Timeout"]) == (memory, timeout)
        assert configuration["Role"] == outputs["LambdaRoleArn"]
        assert configuration["VpcConfig"]["SubnetIds"] == outputs["SubnetIds"].split(",")
        # Zappa ships `environment_variables` in the package's settings module, not in
        # Lambda's environment: read it from the zip the function runs (same SHA-256)
        archive = (
            project
            / "var"
            / "build"
            / "dev"
            / f"{name.replace('serverless-handbook-', '').replace('-', '_')}.zip"
        )
        digest = base64.b64encode(hashlib.sha256(archive.read_bytes()).digest()).decode()
        assert configuration["CodeSha256"] == digest
        with zipfile.ZipFile(archive) as zipped:
            module = zipped.read("zappa_settings.py").decode()
        environment = eval(module.split("ENVIRONMENT_VARIABLES=", 1)[1].split("\n", 1)[0])  # noqa: S307 - the dict literal Zappa wrote
        # the base's variables survive Zappa's shallow `extends`, the stack's are added
        assert environment["ALLOWED_HOSTS"] == ".execute-api.us-east-1.amazonaws.com"
        assert environment["SECRETS_PREFIX"] == "serverless-handbook"
        assert environment["STAGE"] == "dev"
        assert environment["PIPELINE_MAP_QUEUE_URL"] == outputs["MapQueueUrl"]
        assert environment["MEDIA_BUCKET"] == outputs["MediaBucketName"]
    # the layer the deploy published from the build, by the ARN AWS gave it
    versions = lambda_client.list_layer_versions(LayerName=CHROMIUM_LAYER)["LayerVersions"]
    assert [version["Description"] for version in versions] == [CHROMIUM_LAYER_BUILD]
    browser = lambda_client.get_function_configuration(FunctionName=BROWSER)
    assert [layer["Arn"] for layer in browser["Layers"]] == [versions[0]["LayerVersionArn"]]


def test_every_queue_has_one_consumer_reporting_batch_item_failures(aws, first_deploy):
    outputs = stack_outputs(aws, "dev")
    lambda_client = aws.client("lambda")
    for output, concurrency in (("MapQueueArn", 5), ("ReduceQueueArn", 2)):
        mappings = lambda_client.list_event_source_mappings(EventSourceArn=outputs[output])[
            "EventSourceMappings"
        ]
        assert len(mappings) == 1, mappings
        assert mappings[0]["FunctionArn"].endswith(f":function:{WORKERS}")
        assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mappings[0]["ScalingConfig"] == {"MaximumConcurrency": concurrency}
    for function in (WEB, BROWSER):
        assert not lambda_client.list_event_source_mappings(FunctionName=function)[
            "EventSourceMappings"
        ]


def test_the_cleanup_schedule_runs_in_the_web_function_only(aws, first_deploy):
    rules = aws.client("events").list_rules()["Rules"]
    cleanup = [rule["Name"] for rule in rules if "cleanup" in rule["Name"]]
    assert cleanup == [f"{WEB}-pipelines.lambda_consumers.cleanup"]
    targets = aws.client("events").list_targets_by_rule(Rule=cleanup[0])["Targets"]
    assert targets[0]["Arn"].endswith(f":function:{WEB}")


def test_the_generated_settings_stay_out_of_git(project, first_deploy):
    generated = project / "var" / "zappa_settings.dev.json"
    assert generated.is_file()
    # (check-ignore reads the checkout's .gitignore, which the copy carries unchanged)
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/zappa_settings.dev.json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
    )
    assert ignored.returncode == 0
    assert "arn:aws:sqs" not in (project / "zappa_settings.json").read_text()


def code_digest(aws, function: str) -> str:
    return aws.client("lambda").get_function_configuration(FunctionName=function)["CodeSha256"]


def test_a_second_deploy_changes_no_infrastructure_and_updates_the_code(
    aws, deployer, project, first_deploy
):
    # given the stage deployed, and a change to the code
    stack = aws.client("cloudformation").describe_stacks(StackName="serverless-handbook-infra-dev")[
        "Stacks"
    ][0]
    digests = {function: code_digest(aws, function) for function in (WEB, WORKERS, BROWSER)}
    view = project / "hello" / "views.py"
    view.write_text(view.read_text() + "\n# the second deploy's change\n")

    # when it deploys again
    process = deployer("dev", "--skip-lambda-invoke")

    # then the stack has nothing to change, every function runs the new package
    assert process.returncode == 0, process.stdout[-6000:] + process.stderr[-3000:]
    assert "stack serverless-handbook-infra-dev: no changes" in process.stdout
    after = aws.client("cloudformation").describe_stacks(StackName="serverless-handbook-infra-dev")[
        "Stacks"
    ][0]
    assert after["StackStatus"] == stack["StackStatus"] == "CREATE_COMPLETE"
    for function in (WEB, WORKERS, BROWSER):
        assert f"updated {function}" in process.stdout
        archive = (
            project
            / "var"
            / "build"
            / "dev"
            / f"{function.replace('serverless-handbook-', '').replace('-', '_')}.zip"
        )
        digest = base64.b64encode(hashlib.sha256(archive.read_bytes()).digest()).decode()
        assert code_digest(aws, function) == digest != digests[function]
    # the same layer build: no new version
    assert (
        len(aws.client("lambda").list_layer_versions(LayerName=CHROMIUM_LAYER)["LayerVersions"])
        == 1
    )
    # the update re-applied the events: still one consumer per queue, one cleanup schedule
    outputs = stack_outputs(aws, "dev")
    for output in ("MapQueueArn", "ReduceQueueArn"):
        mappings = aws.client("lambda").list_event_source_mappings(EventSourceArn=outputs[output])[
            "EventSourceMappings"
        ]
        assert len(mappings) == 1
        assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    rules = [rule["Name"] for rule in aws.client("events").list_rules()["Rules"]]
    assert rules.count(f"{WEB}-pipelines.lambda_consumers.cleanup") == 1


def resources_of_stage(aws, stage: str) -> list[str]:
    """Everything in the account whose name or tag carries the stage (`preview-pr-9`, or
    `preview_pr_9` where Zappa names it): what a destroy must leave nothing of."""
    zappa_stage = stage.replace("-", "_")

    def named(names) -> list[str]:
        return [name for name in names if stage in name or zappa_stage in name]

    ec2 = aws.client("ec2")
    vpcs = [
        vpc["VpcId"]
        for vpc in ec2.describe_vpcs()["Vpcs"]
        if any(stage in tag["Value"] for tag in vpc.get("Tags", []))
    ]
    cloudformation = aws.client("cloudformation")
    found = named(
        summary["StackName"]
        for summary in cloudformation.list_stacks()["StackSummaries"]
        if summary["StackStatus"] != "DELETE_COMPLETE"
    )
    found += named(
        function["FunctionName"] for function in aws.client("lambda").list_functions()["Functions"]
    )
    found += named(
        mapping["FunctionArn"]
        for mapping in aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    )
    found += named(aws.client("sqs").list_queues().get("QueueUrls", []))
    found += named(bucket["Name"] for bucket in aws.client("s3").list_buckets()["Buckets"])
    found += named(role["RoleName"] for role in aws.client("iam").list_roles()["Roles"])
    found += named(rule["Name"] for rule in aws.client("events").list_rules()["Rules"])
    found += named(topic["TopicArn"] for topic in aws.client("sns").list_topics()["Topics"])
    found += named(api["name"] for api in aws.client("apigateway").get_rest_apis()["items"])
    found += named(
        database["DBInstanceIdentifier"]
        for database in aws.client("rds").describe_db_instances()["DBInstances"]
    )
    found += named(
        group["logGroupName"] for group in aws.client("logs").describe_log_groups()["logGroups"]
    )
    found += named(group["GroupName"] for group in ec2.describe_security_groups()["SecurityGroups"])
    found += vpcs
    if vpcs:
        found += [
            subnet["SubnetId"]
            for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": vpcs}])[
                "Subnets"
            ]
        ]
        found += [
            table["RouteTableId"]
            for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": vpcs}])[
                "RouteTables"
            ]
        ]
        found += [
            endpoint["VpcEndpointId"]
            for endpoint in ec2.describe_vpc_endpoints(
                Filters=[{"Name": "vpc-id", "Values": vpcs}]
            )["VpcEndpoints"]
            if endpoint["State"].lower() != "deleted"
        ]
    return found


def test_a_preview_stage_deploys_and_is_destroyed_leaving_nothing_behind(
    aws, deployer, first_deploy
):
    # given a preview deployed next to dev
    deployed = deployer(PREVIEW, "--skip-lambda-invoke")
    assert deployed.returncode == 0, deployed.stdout[-6000:] + deployed.stderr[-3000:]
    before = resources_of_stage(aws, PREVIEW)
    assert f"serverless-handbook-infra-{PREVIEW}" in before
    assert f"serverless-handbook-{PREVIEW}-workers" in before
    dev_before = resources_of_stage(aws, "dev")

    # when it is destroyed
    destroyed = deployer("destroy", PREVIEW, "--yes")

    # then nothing of it is left, and dev is as it was
    assert destroyed.returncode == 0, destroyed.stdout[-6000:] + destroyed.stderr[-3000:]
    assert resources_of_stage(aws, PREVIEW) == []
    assert resources_of_stage(aws, "dev") == dev_before


def test_a_mapping_to_a_foreign_queue_fails_the_deploy_naming_it(aws, deployer, first_deploy):
    # given someone mapped the workers function to a queue outside the stage's stack
    sqs = aws.client("sqs")
    foreign = sqs.create_queue(QueueName="someone-elses-queue")["QueueUrl"]
    foreign_arn = sqs.get_queue_attributes(QueueUrl=foreign, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    lambda_client = aws.client("lambda")
    mapping = lambda_client.create_event_source_mapping(
        EventSourceArn=foreign_arn, FunctionName=WORKERS, BatchSize=10
    )
    try:
        # when the stage deploys
        process = deployer("dev", "--skip-lambda-invoke")
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])

    # then it stops before building anything and names the queue
    assert process.returncode == 1
    assert (
        f"{WORKERS} consumes {foreign_arn}, a queue that is not in the stage's stack"
        in process.stderr
    )
    assert "==> 4/8" not in process.stdout


def test_an_unmapped_queue_fails_the_deploy_naming_it(
    aws, deployer, project, first_deploy, tmp_path
):
    # given a checkout whose workers stage forgot the reduce queue
    broken = tmp_path / "project"
    shutil.copytree(
        project, broken, symlinks=True, ignore=shutil.ignore_patterns("var", "staticfiles")
    )
    settings = json.loads((broken / "zappa_settings.json").read_text())
    settings["dev_workers"]["events"] = [
        event
        for event in settings["dev_workers"]["events"]
        if "ReduceQueueArn" not in event["event_source"]["arn"]
    ]
    (broken / "zappa_settings.json").write_text(json.dumps(settings))
    reduce_arn = stack_outputs(aws, "dev")["ReduceQueueArn"]

    # when it deploys dev
    process = deployer("dev", "--skip-lambda-invoke", directory=broken)

    # then the deploy stops before touching a function, naming the queue
    assert process.returncode == 1
    assert f"queue {reduce_arn} has no consumer" in process.stderr
    assert "==> 5/8" not in process.stdout


def test_dry_run_prints_the_plan_and_changes_nothing(aws, deployer, first_deploy):
    process = deployer("staging", "--dry-run")

    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    assert "would create stack serverless-handbook-infra-staging" in process.stdout
    assert "Add     MapQueue (AWS::SQS::Queue)" in process.stdout
    stacks = aws.client("cloudformation").list_stacks()["StackSummaries"]
    assert not [s for s in stacks if "staging" in s["StackName"]]


def test_prod_cannot_be_destroyed_by_the_command(deployer):
    process = deployer("destroy", "prod", "--yes")
    assert process.returncode == 1 and "deletion protection" in process.stderr
