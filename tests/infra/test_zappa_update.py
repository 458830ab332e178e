"""What later commands do to a deployed stage (tests/infra/conftest.py `deployed`): `zappa
update` keeps everything but the code, an unchanged update is skipped, a stale stack or a
second consumer is refused before Lambda is touched, a preview comes and goes entirely."""

import io
import zipfile

import pytest

from tests.infra.conftest import (
    FUNCTIONS,
    WEB,
    WORKERS,
    deployed_package,
    output,
    stack_outputs,
    succeeded,
)

pytestmark = pytest.mark.slow

# What changes with the code and nothing else (issue 18's list); a mapping's LastModified
# moves whenever Zappa's update re-applies its batch size, as it does on every update.
CODE_FIELDS = {"CodeSha256", "CodeSize", "LastModified", "RevisionId", "Version"}
PREVIEW = "preview-pr-9"


def deployed_state(aws, function: str) -> dict:
    lambda_client = aws.client("lambda")
    configuration = lambda_client.get_function_configuration(FunctionName=function)
    configuration.pop("ResponseMetadata")
    mappings = sorted(
        (
            {key: value for key, value in mapping.items() if key != "LastModified"}
            for mapping in lambda_client.list_event_source_mappings()["EventSourceMappings"]
            if mapping["FunctionArn"].endswith(f":function:{function}")
        ),
        key=lambda mapping: mapping["EventSourceArn"],
    )
    with zipfile.ZipFile(io.BytesIO(deployed_package(function))) as zipped:
        settings_module = zipped.read("zappa_settings.py").decode()
    return {"configuration": configuration, "mappings": mappings, "settings": settings_module}


def without_code_fields(state: dict) -> dict:
    configuration = {k: v for k, v in state["configuration"].items() if k not in CODE_FIELDS}
    return {**state, "configuration": configuration}


@pytest.mark.parametrize("stage", ["dev_workers", "dev_browser", "dev"])
def test_update_keeps_everything_but_the_code(aws, shell, project, deployed, stage):
    # given the stage deployed, and a change to the code
    function = FUNCTIONS[stage]
    before = deployed_state(aws, function)
    view = project / "hello" / "views.py"
    view.write_text(view.read_text() + f"\n# a change deployed to {stage}\n")

    # when it is updated with plain Zappa
    process = shell("zappa", "update", stage)

    # then the function runs new code, and nothing else changed, field by field
    assert succeeded(process), output(process)
    after = deployed_state(aws, function)
    assert after["configuration"]["CodeSha256"] != before["configuration"]["CodeSha256"]
    assert without_code_fields(after) == without_code_fields(before)


def test_an_update_with_nothing_changed_is_skipped(aws, shell, deployed):
    before = deployed_state(aws, WEB)

    process = shell("zappa", "update", "dev")

    assert succeeded(process), output(process)
    assert (
        "package and settings unchanged since the last deploy, nothing to update" in process.stdout
    )
    assert "static files unchanged since the last collectstatic" in process.stdout
    assert deployed_state(aws, WEB) == before


def test_a_stack_older_than_the_template_is_refused_before_lambda_is_touched(
    aws, shell, project, deployed
):
    # given the template changed since the stack was applied
    template = project / "infra" / "stage.yaml"
    original = template.read_text()
    template.write_text(original + "\n# a change not applied yet\n")
    before = {function: deployed_state(aws, function) for function in FUNCTIONS.values()}
    try:
        # when the stage is updated
        process = shell("zappa", "update", "dev")
    finally:
        template.write_text(original)

    # then one line says what to run, nothing was built and Lambda is as it was
    assert process.returncode != 0
    assert (
        "stack serverless-handbook-infra-dev is older than infra/stage.yaml: run "
        "`scripts/deploy dev --infra-only` first; nothing was changed"
    ) in process.stderr
    assert "package (Zappa" not in process.stdout
    assert {function: deployed_state(aws, function) for function in FUNCTIONS.values()} == before


def test_a_missing_stack_is_refused_naming_what_to_run(shell, deployed):
    process = shell("zappa", "update", "staging")

    assert process.returncode != 0
    assert (
        "stack serverless-handbook-infra-staging does not exist: run "
        "`scripts/deploy staging --infra-only` first"
    ) in process.stderr


def test_a_second_consumer_of_a_queue_is_refused_before_anything_changes(aws, shell, deployed):
    # given someone mapped the web function to the workers' map queue
    lambda_client = aws.client("lambda")
    extra = lambda_client.create_event_source_mapping(
        EventSourceArn=stack_outputs(aws)["MapQueueArn"], FunctionName=WEB, Enabled=False
    )
    before = deployed_state(aws, WORKERS)
    try:
        process = shell("zappa", "update", "dev_workers")
    finally:
        lambda_client.delete_event_source_mapping(UUID=extra["UUID"])

    assert process.returncode != 0
    assert f"is consumed by {WEB} already; exactly one consumer" in process.stderr
    assert deployed_state(aws, WORKERS) == before


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


def test_a_preview_deploys_and_is_destroyed_leaving_nothing_behind(aws, shell, deployed):
    # given a preview deployed next to dev (Zappa refuses stage names its settings file
    # lacks: scripts/deploy writes one under var/)
    deployed_preview = shell("scripts/deploy", PREVIEW)
    assert succeeded(deployed_preview), output(deployed_preview)
    before = resources_of_stage(aws, PREVIEW)
    assert f"serverless-handbook-infra-{PREVIEW}" in before
    assert f"serverless-handbook-{PREVIEW}-workers" in before
    dev_before = resources_of_stage(aws, "dev")

    # when it is destroyed
    destroyed = shell("scripts/deploy", "destroy", PREVIEW, "--yes")

    # then nothing of it is left, and dev is as it was
    assert succeeded(destroyed), output(destroyed)
    assert resources_of_stage(aws, PREVIEW) == []
    assert resources_of_stage(aws, "dev") == dev_before


def test_dry_run_prints_the_plan_and_changes_nothing(aws, shell, deployed):
    process = shell("scripts/deploy", "staging", "--dry-run")

    assert succeeded(process), output(process)
    assert "would create stack serverless-handbook-infra-staging" in process.stdout
    assert "Add     MapQueue (AWS::SQS::Queue)" in process.stdout
    stacks = aws.client("cloudformation").list_stacks()["StackSummaries"]
    assert not [s for s in stacks if "staging" in s["StackName"]]


def test_prod_cannot_be_destroyed_by_the_command(shell):
    process = shell("scripts/deploy", "destroy", "prod", "--yes")
    assert process.returncode == 1 and "deletion protection" in process.stderr
