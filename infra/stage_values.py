"""The values a stage takes from its infrastructure stack, read at run time: the role, the
VPC, the deploy bucket, the environment (queue URLs, media bucket, database host and secret)
and the consumers' queue ARNs, which the committed settings name by stack output
(`"arn": "stack-output:MapQueueArn"`). Nothing account-specific is committed."""

from dataclasses import dataclass, field

from infra.feedback import DeployError, say
from infra.stack import aws_client, stack_outputs
from infra.template import PROJECT

STACK_OUTPUT_PREFIX = "stack-output:"
PIPELINE_QUEUE_OUTPUTS = {"map": "MapQueueArn", "reduce": "ReduceQueueArn"}


@dataclass(frozen=True)
class StageValues:
    stage: str
    outputs: dict[str, str]
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def role_arn(self) -> str:
        return self.outputs["LambdaRoleArn"]

    @property
    def deploy_bucket(self) -> str:
        return self.outputs["DeployBucketName"]

    @property
    def vpc_config(self) -> dict:
        return {
            "SubnetIds": self.outputs["SubnetIds"].split(","),
            "SecurityGroupIds": [self.outputs["FunctionSecurityGroupId"]],
        }

    @property
    def queue_arns(self) -> list[str]:
        return [self.outputs[key] for key in PIPELINE_QUEUE_OUTPUTS.values()]


def stage_values(stage: str, *, with_database: bool = True) -> StageValues:
    """`with_database=False` (undeploy, status): no RDS look-ups, the environment is unused."""
    outputs = stack_outputs(stage=stage)
    environment = {
        "STAGE": stage,
        "PIPELINE_MAP_QUEUE_URL": outputs["MapQueueUrl"],
        "PIPELINE_REDUCE_QUEUE_URL": outputs["ReduceQueueUrl"],
        "MEDIA_BUCKET": outputs["MediaBucketName"],
        **(database_endpoint(stage=stage, outputs=outputs) if with_database else {}),
    }
    return StageValues(stage=stage, outputs=outputs, environment=environment)


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
