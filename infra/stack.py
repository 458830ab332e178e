"""The stage's infrastructure stack `serverless-handbook-infra-<stage>`: applied by
`scripts/deploy <stage>` (created, or updated through a change set whose changes are
printed), read at run time by the Zappa callbacks (its outputs), and checked to be current:
each apply tags the stack with the digest of what rendered its template, and a command that
would touch Lambda refuses a stack that is missing or older than the template
(`stack_readiness_error`)."""

import hashlib
import json
import time

from infra.feedback import DeployError, say
from infra.template import (
    PROJECT,
    PROTECTED_STAGES,
    TEMPLATE_FILE,
    stack_name,
    template_body,
)

STACK_POLL_SECONDS = 2
STACK_WAIT_SECONDS = 3600  # an RDS instance and its proxy take 10-20 minutes
DIGEST_TAG = "template-digest"


def aws_client(service: str):
    import boto3

    return boto3.client(service)


def template_digest(*, stage: str, consumer_timeout_seconds: int) -> str:
    """What the rendered template depends on: stage.yaml, its renderer, and the two values
    the renderer takes from the stage. Read as bytes, so checking a stack needs no YAML."""
    digest = hashlib.sha256(TEMPLATE_FILE.read_bytes())
    digest.update(TEMPLATE_FILE.with_name("template.py").read_bytes())
    digest.update(json.dumps([consumer_timeout_seconds, stage in PROTECTED_STAGES]).encode())
    return digest.hexdigest()[:16]


def stack_readiness_error(*, stage: str, consumer_timeout_seconds: int) -> str | None:
    """None when the stack exists, is settled and was applied from the current template;
    otherwise the one line to print, naming what to run."""
    stack = stack_status(cloudformation=aws_client("cloudformation"), name=stack_name(stage))
    fix = f"run `scripts/deploy {stage} --infra-only` first; nothing was changed"
    if not stack:
        return f"stack {stack_name(stage)} does not exist: {fix}"
    status = stack["StackStatus"]
    if status.endswith("_IN_PROGRESS") or status.endswith("_FAILED"):
        return f"stack {stack_name(stage)} is {status}: wait for it or {fix}"
    tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
    current = template_digest(stage=stage, consumer_timeout_seconds=consumer_timeout_seconds)
    if tags.get(DIGEST_TAG) != current:
        return f"stack {stack_name(stage)} is older than infra/stage.yaml: {fix}"
    return None


def stack_tags(*, stage: str, digest: str) -> list[dict]:
    return [
        {"Key": "stage", "Value": stage},
        {"Key": "project", "Value": PROJECT},
        {"Key": DIGEST_TAG, "Value": digest},
    ]


def stack_status(*, cloudformation, name: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def stack_wait(*, cloudformation, name: str, verb: str) -> dict:
    stack, status = _stack_settled(cloudformation=cloudformation, name=name)
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


def _stack_settled(*, cloudformation, name: str) -> tuple[dict | None, str]:
    """The stack and its status once no operation is in progress (no stack: DELETE_COMPLETE)."""
    deadline = time.monotonic() + STACK_WAIT_SECONDS
    while True:
        stack = stack_status(cloudformation=cloudformation, name=name)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS"):
            return stack, status
        if time.monotonic() > deadline:
            raise DeployError(f"stack {name} still {status} after {STACK_WAIT_SECONDS} s")
        time.sleep(STACK_POLL_SECONDS)


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


def stack_apply(
    *, stage: str, template: dict, parameters: dict, digest: str, dry_run: bool = False
) -> bool:
    """Create or update the stage's stack through a change set; True when something changed."""
    cloudformation = aws_client("cloudformation")
    name = stack_name(stage)
    existing = stack_status(cloudformation=cloudformation, name=name)
    if existing and existing["StackStatus"] == "REVIEW_IN_PROGRESS":
        cloudformation.delete_stack(StackName=name)  # a change set never executed
        stack_wait(cloudformation=cloudformation, name=name, verb="DELETE")
        existing = None
    request = {
        "StackName": name,
        "TemplateBody": template_body(template),
        "Parameters": [
            {"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()
        ],
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": stack_tags(stage=stage, digest=digest),
    }
    if not existing:
        return _stack_create(
            cloudformation,
            request,
            resources=resources_created(template, parameters=parameters),
            dry_run=dry_run,
        )
    return _stack_update(
        cloudformation, request, existing=existing, stage=stage, digest=digest, dry_run=dry_run
    )


def _stack_create(cloudformation, request: dict, *, resources: dict, dry_run: bool) -> bool:
    """A new stack: create_stack, not a change set (moto's CloudFormation gives a stack
    created from a change set no outputs); the plan is the template's resources."""
    name = request["StackName"]
    say(
        f"  {'would create' if dry_run else 'create'} stack {name} with {len(resources)} resources:"
    )
    for logical, kind in sorted(resources.items()):
        say(f"  Add     {logical} ({kind})")
    if dry_run:
        return True
    cloudformation.create_stack(**request, OnFailure="DELETE")
    stack_wait(cloudformation=cloudformation, name=name, verb="CREATE")
    return True


def _stack_update(
    cloudformation, request: dict, *, existing: dict, stage: str, digest: str, dry_run: bool
) -> bool:
    """Through a change set, whose changes are printed first; an empty one only refreshes
    the digest tag."""
    name, change_set = request["StackName"], f"deploy-{int(time.time())}"
    cloudformation.create_change_set(**request, ChangeSetName=change_set, ChangeSetType="UPDATE")
    described = change_set_wait(cloudformation=cloudformation, name=name, change_set=change_set)
    if described["Status"] == "FAILED":
        cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
        reason = described.get("StatusReason", "")
        if "didn't contain changes" not in reason and "No updates" not in reason:
            raise DeployError(f"change set of {name} failed: {described.get('StatusReason')}")
        say(f"  stack {name}: no changes")
        if not dry_run:
            tags_refresh(cloudformation=cloudformation, stack=existing, stage=stage, digest=digest)
        return False
    say(f"  stack {name}: update, {len(described['Changes'])} change(s)")
    for line in change_lines(described["Changes"]):
        say(line)
    if dry_run:
        cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
        return True
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    stack_wait(cloudformation=cloudformation, name=name, verb="UPDATE")
    return True


def tags_refresh(*, cloudformation, stack: dict, stage: str, digest: str) -> None:
    """The template's text changed but not what it renders (a comment): record the new digest,
    or every later command would call the stack outdated."""
    from botocore.exceptions import ClientError

    if {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}.get(DIGEST_TAG) == digest:
        return
    try:
        cloudformation.update_stack(
            StackName=stack["StackName"],
            UsePreviousTemplate=True,
            Parameters=[
                {"ParameterKey": parameter["ParameterKey"], "UsePreviousValue": True}
                for parameter in stack.get("Parameters", [])
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Tags=stack_tags(stage=stage, digest=digest),
        )
    except ClientError as exc:
        if "No updates" not in str(exc):
            raise
        return
    stack_wait(cloudformation=cloudformation, name=stack["StackName"], verb="UPDATE")


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
        raise DeployError(
            f"stack {stack_name(stage)} does not exist: run `scripts/deploy {stage} --infra-only`"
        )
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
