"""The stage's CloudFormation template, rendered for one stage.

stage.yaml is plain YAML (long-form intrinsics), so rendering is a dict edit: what
CloudFormation cannot compute itself is filled in here from the stage's Zappa settings —
the queues' visibility timeout (6 x the workers function's timeout: AWS's advice for a Lambda
event source, so a batch still running is never handed to a second consumer) and, for a
protected stage (prod), a final snapshot when the database is deleted or replaced.
"""

import json
from pathlib import Path

TEMPLATE_FILE = Path(__file__).with_name("stage.yaml")
PROJECT = "serverless-handbook"
QUEUES = ("MapQueue", "ReduceQueue")
VISIBILITY_TIMEOUT_FACTOR = 6
PROTECTED_STAGES = ("prod",)
# What holds the data: the RDS instance or, with DatabaseEngine=aurora-serverless-v2, the
# cluster (its instances hold no data of their own).
DATABASES = ("Database", "AuroraCluster")
DATABASE_ENGINES = ("postgres", "aurora-serverless-v2")
# An alarm's copies for the next channels: (topic, periods the condition must hold).
ESCALATION = (("AlertSlackTopic", 3), ("AlertSmsTopic", 6))


def stack_name(stage: str) -> str:
    """Apart from Zappa's own `serverless-handbook-<stage>` (its API Gateway stack, which
    `zappa undeploy` deletes)."""
    return f"{PROJECT}-infra-{stage}"


def template_render(*, stage: str, consumer_timeout_seconds: int) -> dict:
    import yaml  # PyYAML: a dependency of cfn-lint and Zappa's tooling; only deploys read it

    template = yaml.safe_load(TEMPLATE_FILE.read_text())
    resources = template["Resources"]
    for queue in QUEUES:
        resources[queue]["Properties"]["VisibilityTimeout"] = (
            VISIBILITY_TIMEOUT_FACTOR * consumer_timeout_seconds
        )
    if stage in PROTECTED_STAGES:
        for database in DATABASES:
            resources[database]["DeletionPolicy"] = "Snapshot"
            resources[database]["UpdateReplacePolicy"] = "Snapshot"
    alarms_escalated(resources)
    return template


def alarms_escalated(resources: dict) -> None:
    """Email at once, Slack when the condition held 3 periods, SMS at 6: CloudWatch's way
    to escalate is one alarm per step on the same metric; each step's OK is its resolved
    message, sent to the channel it alarmed."""
    alarms = {
        name: resource
        for name, resource in resources.items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    for name, alarm in alarms.items():
        properties = alarm["Properties"]
        properties["OKActions"] = list(properties["AlarmActions"])
        first = properties["EvaluationPeriods"]
        for topic, periods in ESCALATION:
            channel = topic.removeprefix("Alert").removesuffix("Topic")  # Slack, Sms
            step = json.loads(json.dumps(alarm))
            step_properties = step["Properties"]
            step_properties["AlarmName"] = {
                "Fn::Sub": f"{properties['AlarmName']['Fn::Sub']}-{channel.lower()}"
            }
            step_properties["EvaluationPeriods"] = step_properties["DatapointsToAlarm"] = (
                first + periods
            )
            step_properties["AlarmActions"] = step_properties["OKActions"] = [{"Ref": topic}]
            resources[f"{name}{channel}"] = step


def template_parameters(
    *,
    stage: str,
    use_existing_database: bool = False,
    use_nat_gateway: bool = False,
    database_engine: str = "postgres",
) -> dict[str, str]:
    if database_engine not in DATABASE_ENGINES:
        raise ValueError(f"database engine must be one of {', '.join(DATABASE_ENGINES)}")
    return {
        "Stage": stage,
        "DatabaseEngine": database_engine,
        "UseExistingDatabase": str(use_existing_database).lower(),
        "UseNatGateway": str(use_nat_gateway).lower(),
        "ProtectDatabase": str(stage in PROTECTED_STAGES).lower(),
    }


def template_body(template: dict) -> str:
    return json.dumps(template, indent=1, sort_keys=True)
