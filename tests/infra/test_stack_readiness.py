"""A command that writes to Lambda first asks whether the stage's stack is there and current
(infra/stack.py `stack_readiness_error`, against moto's server)."""

import json
import uuid

from infra.stack import DIGEST_TAG, stack_readiness_error, stack_tags, template_digest
from infra.template import stack_name


def stack_created(aws, stage: str, tags: list[dict]) -> None:
    aws.client("cloudformation").create_stack(
        StackName=stack_name(stage),
        TemplateBody=json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}),
        Tags=tags,
    )


def test_a_missing_stack_names_the_command_to_run(aws):
    stage = f"missing-{uuid.uuid4().hex[:6]}"

    error = stack_readiness_error(stage=stage, consumer_timeout_seconds=120)

    assert error == (
        f"stack serverless-handbook-infra-{stage} does not exist: run "
        f"`scripts/deploy {stage} --infra-only` first; nothing was changed"
    )


def test_a_stack_applied_from_the_current_template_is_ready(aws):
    stage = f"current-{uuid.uuid4().hex[:6]}"
    digest = template_digest(stage=stage, consumer_timeout_seconds=120)
    stack_created(aws, stage, stack_tags(stage=stage, digest=digest))

    assert stack_readiness_error(stage=stage, consumer_timeout_seconds=120) is None


def test_a_stack_from_another_template_or_timeout_is_older(aws):
    stage = f"older-{uuid.uuid4().hex[:6]}"
    stack_created(aws, stage, [{"Key": DIGEST_TAG, "Value": "from-last-month"}])

    error = stack_readiness_error(stage=stage, consumer_timeout_seconds=120)

    assert error.startswith(f"stack serverless-handbook-infra-{stage} is older than")
    # the queues' visibility timeout follows the workers' timeout: a new one needs the stack
    assert template_digest(stage=stage, consumer_timeout_seconds=120) != template_digest(
        stage=stage, consumer_timeout_seconds=300
    )
