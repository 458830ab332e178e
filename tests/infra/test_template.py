"""The stage template: what CloudFormation will build, checked in the rendered template itself
(the proxy, the alarms and the secret are resources moto's CloudFormation does not model) and
by cfn-lint, AWS's own linter."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.stack import resources_created
from infra.template import stack_name, template_body, template_parameters, template_render


def resources_of_type(template: dict, kind: str) -> dict:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


@pytest.mark.parametrize(
    ("stage", "engine"),
    [
        ("dev", "postgres"),
        ("prod", "postgres"),
        ("preview-pr-7", "postgres"),
        ("dev", "aurora-serverless-v2"),
        ("prod", "aurora-serverless-v2"),
    ],
)
def test_rendered_template_passes_cfn_lint(stage, engine, tmp_path):
    # given the template rendered for a stage, and the parameters scripts/deploy passes
    path = tmp_path / f"{stage}.json"
    path.write_text(template_body(template_render(stage=stage, consumer_timeout_seconds=120)))
    parameters = template_parameters(stage=stage, database_engine=engine)

    # when AWS's linter reads it with those parameters
    lint = subprocess.run(
        [
            str(Path(sys.executable).with_name("cfn-lint")),
            str(path),
            "--parameters",
            *(f"{key}={value}" for key, value in parameters.items()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then it finds nothing, not even a warning
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_queues_redrive_after_10_receives_to_a_dlq_kept_14_days():
    template = template_render(stage="dev", consumer_timeout_seconds=120)
    resources = template["Resources"]
    for queue, dead_letters in (
        ("MapQueue", "MapDeadLetterQueue"),
        ("ReduceQueue", "ReduceDeadLetterQueue"),
    ):
        properties = resources[queue]["Properties"]
        assert properties["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
            "maxReceiveCount": 10,
        }
        assert properties["VisibilityTimeout"] == 6 * 120
        assert resources[dead_letters]["Properties"]["MessageRetentionPeriod"] == 14 * 86400


def test_every_named_resource_carries_the_stage():
    template = template_render(stage="preview-pr-7", consumer_timeout_seconds=60)
    name_keys = (
        "QueueName",
        "BucketName",
        "RoleName",
        "TopicName",
        "AlarmName",
        "Name",
        "DBInstanceIdentifier",
        "DBProxyName",
        "DBSubnetGroupName",
        "GroupName",
    )
    names = [
        resource["Properties"][key].get("Fn::Sub", resource["Properties"][key])
        for resource in template["Resources"].values()
        for key in name_keys
        if key in resource.get("Properties", {}) and "Ref" not in resource["Properties"][key]
    ]  # a Ref names another resource
    assert len(names) >= 20
    assert all("${Stage}" in name for name in names), names


def test_media_bucket_is_private_encrypted_and_expires_captures():
    bucket = template_render(stage="dev", consumer_timeout_seconds=60)["Resources"]["MediaBucket"][
        "Properties"
    ]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["temporary-captures"]["Prefix"] == "captures/"
    assert rules["temporary-captures"]["Status"] == "Enabled"


def test_database_behind_a_proxy_with_an_rds_managed_password():
    resources = template_render(stage="dev", consumer_timeout_seconds=60)["Resources"]
    database = resources["Database"]["Properties"]
    assert database["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in database
    assert database["PubliclyAccessible"] is False and database["StorageEncrypted"] is True
    proxy = resources["DatabaseProxy"]["Properties"]
    assert proxy["VpcSubnetIds"] == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]
    # only the functions reach the proxy, only the proxy reaches the database
    assert resources["ProxySecurityGroup"]["Properties"]["SecurityGroupIngress"][0][
        "SourceSecurityGroupId"
    ] == {"Ref": "FunctionSecurityGroup"}
    assert resources["DatabaseSecurityGroup"]["Properties"]["SecurityGroupIngress"][0][
        "SourceSecurityGroupId"
    ] == {"Ref": "ProxySecurityGroup"}
    endpoints = {
        resource["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]
        for resource in resources_of_type(
            {"Resources": resources}, "AWS::EC2::VPCEndpoint"
        ).values()
    }
    assert endpoints == {"s3", "sqs", "secretsmanager", "logs", "monitoring"}
    # NAT only when the parameter asks for it (idle cost)
    assert resources["NatGateway"]["Condition"] == "CreateNat"
    assert template_parameters(stage="dev")["UseNatGateway"] == "false"


def test_prod_keeps_a_final_snapshot_and_deletion_protection():
    prod = template_render(stage="prod", consumer_timeout_seconds=60)["Resources"]["Database"]
    dev = template_render(stage="dev", consumer_timeout_seconds=60)["Resources"]["Database"]
    assert prod["DeletionPolicy"] == "Snapshot" and dev["DeletionPolicy"] == "Delete"
    assert template_parameters(stage="prod")["ProtectDatabase"] == "true"
    assert template_parameters(stage="dev")["ProtectDatabase"] == "false"
    assert prod["Properties"]["DeletionProtection"] == {"Fn::If": ["Protect", True, False]}


def test_alarms_watch_dead_letters_and_the_emf_error_rate():
    template = template_render(stage="dev", consumer_timeout_seconds=60)
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in alarms.values()
        if "Dimensions" in alarm["Properties"]
    } == {"MapDeadLetterQueue", "ReduceDeadLetterQueue"}
    queries = json.dumps(alarms["ErrorRateAlarm"]["Properties"]["Metrics"])
    assert "SCHEMA(ServerlessHandbook, Part, Stage)" in queries
    assert "SUM(Errors)" in queries and "SUM(Throughput)" in queries
    first = {
        name: alarm
        for name, alarm in alarms.items()
        if alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertTopic"}]
    }
    assert set(first) == {
        "MapDeadLettersAlarm",
        "ReduceDeadLettersAlarm",
        "ErrorRateAlarm",
        "ThroughputZeroAlarm",
    }


def test_every_alarm_escalates_email_slack_sms_and_resolves_where_it_alarmed():
    template = template_render(stage="prod", consumer_timeout_seconds=60)
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")

    for name in ("MapDeadLettersAlarm", "ErrorRateAlarm", "ThroughputZeroAlarm"):
        steps = [alarms[name], alarms[f"{name}Slack"], alarms[f"{name}Sms"]]
        topics = [step["Properties"]["AlarmActions"] for step in steps]
        assert topics == [
            [{"Ref": "AlertTopic"}],
            [{"Ref": "AlertSlackTopic"}],
            [{"Ref": "AlertSmsTopic"}],
        ]
        assert all(
            step["Properties"]["OKActions"] == step["Properties"]["AlarmActions"] for step in steps
        )
        periods = [step["Properties"]["EvaluationPeriods"] for step in steps]
        assert periods[0] < periods[1] < periods[2]
    assert alarms["ThroughputZeroAlarm"]["Condition"] == "Protect"  # prod only


def test_the_role_grants_only_the_stage_resources():
    role = template_render(stage="dev", consumer_timeout_seconds=60)["Resources"]["LambdaRole"]
    statements = [
        branch
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for branch in (statement["Fn::If"][1:] if "Fn::If" in statement else [statement])
    ]
    wildcard = {statement["Sid"] for statement in statements if statement["Resource"] == "*"}
    # X-Ray and VPC network interfaces have no resource-level permissions in IAM
    assert wildcard == {"Tracing", "VpcNetworkInterfaces"}
    assert not any(
        action.endswith(":*")
        for statement in statements
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    )


def test_the_stack_is_named_apart_from_zappas():
    assert stack_name("dev") == "serverless-handbook-infra-dev"


RDS_RESOURCES = {
    "Database",
    "AuroraCluster",
    "AuroraWriter",
    "AuroraReplica",
    "DatabaseProxy",
    "DatabaseProxyTarget",
}


@pytest.mark.parametrize(
    ("stage", "engine", "existing", "expected"),
    [
        ("dev", "postgres", False, {"Database", "DatabaseProxy", "DatabaseProxyTarget"}),
        (
            "dev",
            "aurora-serverless-v2",
            False,
            {"AuroraCluster", "AuroraWriter", "DatabaseProxy", "DatabaseProxyTarget"},
        ),
        (
            "prod",
            "aurora-serverless-v2",
            False,
            {
                "AuroraCluster",
                "AuroraWriter",
                "AuroraReplica",
                "DatabaseProxy",
                "DatabaseProxyTarget",
            },
        ),
        ("dev", "aurora-serverless-v2", True, set()),
    ],
)
def test_the_engine_parameter_chooses_an_instance_or_an_aurora_cluster(
    stage, engine, existing, expected
):
    template = template_render(stage=stage, consumer_timeout_seconds=60)
    parameters = template_parameters(
        stage=stage, database_engine=engine, use_existing_database=existing
    )

    created = resources_created(template, parameters=parameters)

    assert RDS_RESOURCES & set(created) == expected


def test_aurora_serverless_v2_scales_between_the_parameters_behind_the_same_proxy():
    prod = template_render(stage="prod", consumer_timeout_seconds=60)
    resources = prod["Resources"]
    cluster = resources["AuroraCluster"]
    assert cluster["DeletionPolicy"] == "Snapshot"  # prod: the cluster holds the data
    properties = cluster["Properties"]
    assert properties["Engine"] == "aurora-postgresql"
    assert properties["ManageMasterUserPassword"] is True
    assert properties["StorageEncrypted"] is True
    assert properties["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": {"Ref": "AuroraMinCapacity"},
        "MaxCapacity": {"Ref": "AuroraMaxCapacity"},
    }
    assert resources["AuroraWriter"]["Properties"]["DBInstanceClass"] == "db.serverless"
    target = resources["DatabaseProxyTarget"]["Properties"]
    assert target["DBClusterIdentifiers"] == {
        "Fn::If": ["CreateAurora", [{"Ref": "AuroraCluster"}], {"Ref": "AWS::NoValue"}]
    }
    assert target["DBInstanceIdentifiers"] == {
        "Fn::If": ["CreateAurora", {"Ref": "AWS::NoValue"}, [{"Ref": "Database"}]]
    }
    assert prod["Outputs"]["DatabaseClusterId"]["Condition"] == "CreateAurora"
    with pytest.raises(ValueError, match="aurora-serverless-v2"):
        template_parameters(stage="dev", database_engine="mysql")
