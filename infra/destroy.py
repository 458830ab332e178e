"""`scripts/deploy destroy <stage> [--yes]`: undeploy the stage's functions (`zappa
undeploy`, whose callbacks resolve the queue ARNs so the mappings go too), empty and delete
its buckets, release its network and delete its stack. `prod` refuses."""

import time
from pathlib import Path

from config.stage_checks.settings_file import zappa_settings_load
from infra.feedback import DeployError, say
from infra.stack import STACK_POLL_SECONDS, aws_client, stack_outputs, stack_wait
from infra.stages import function_stages, lambda_function_name, stage_settings_with_preview
from infra.template import PROJECT, PROTECTED_STAGES, stack_name
from infra.zappa_command import PROJECT_ROOT, function_exists, settings_file_args, zappa_run

NETWORK_RELEASE_SECONDS = 45 * 60  # Lambda keeps a deleted function's interfaces ~20 min


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
    settings_args = settings_file_args(settings, committed=committed, stage=stage)
    for name in reversed(names):  # the consumers first, the web function (and its API) last
        if function_exists(lambda_function_name(name)):
            zappa_run("undeploy", name, *settings_args, "--yes", "--remove-logs")
    say("==> 2/4 empty and delete the buckets (the stack retains them)")
    for key in ("MediaBucketName", "DeployBucketName"):
        bucket_empty_and_delete(outputs[key])
    say("==> 3/4 release the network: the functions' interfaces, endpoints, route tables")
    network_release(stage=stage)
    say(f"==> 4/4 delete stack {stack_name(stage)}")
    cloudformation = aws_client("cloudformation")
    cloudformation.delete_stack(StackName=stack_name(stage))
    stack_wait(cloudformation=cloudformation, name=stack_name(stage), verb="DELETE")
    if settings_args:
        (PROJECT_ROOT / settings_args[1]).unlink(missing_ok=True)
    say(f"stage {stage} destroyed")
