"""The settings callback: runs after Zappa loaded zappa_settings.json for the stage and
before the command does anything (zappa/cli.py `dispatch_command`)."""

import json
import os
import sys

from infra.emulator_shim import emulated
from infra.feedback import DeployError, Steps, say

# Commands that only read: no stack needed.
READ_ONLY = {"status", "tail", "save-python-settings-file", "template", "shell", "certify"}
# Commands that build a package from the project.
BUILDS = {"deploy", "update", "package"}
# Commands that write to Lambda: refused when the stack is missing or outdated.
WRITES = {"deploy", "update", "schedule", "rollback"}


def rollback_hint(command: str, zappa_stage: str) -> str | None:
    if command == "update":
        return f"zappa rollback {zappa_stage} -n 1"
    if command == "deploy":
        return f"zappa undeploy {zappa_stage} (a first deploy: nothing older to go back to)"
    return None


def settings_apply(cli) -> None:
    from click import ClickException

    if emulated():
        from infra.emulator_shim import install

        install(cli)
    if cli.command in READ_ONLY:
        return
    steps = Steps(rollback=rollback_hint(cli.command, cli.api_stage))
    cli.deploy_steps = steps
    try:
        stage_values_apply(cli, steps)
    except DeployError as exc:
        steps.abandon()
        raise ClickException(str(exc)) from exc


def stage_values_apply(cli, steps: Steps) -> None:
    from infra.stages import infra_stage

    command, zappa_stage = cli.command, cli.api_stage
    stage = infra_stage(cli.zappa_settings, zappa_stage)
    if command in WRITES:
        stack_check(cli, steps, stage=stage)
    values = stack_values_read(cli, steps, stage=stage)
    if values:
        stack_values_apply(cli, steps, values=values)
    if command == "rollback":
        rollback_apply(cli, steps, stage=zappa_stage)
    if command in BUILDS:
        package_prepare(cli, steps, stage=stage)


def stack_check(cli, steps: Steps, *, stage: str) -> None:
    """A command that writes to Lambda stops on a missing or outdated stack."""
    from infra.stack import stack_readiness_error
    from infra.stages import consumer_timeout_seconds, main_stage

    with steps.step(f"stack check ({stage})"):
        refusal = stack_readiness_error(
            stage=stage,
            consumer_timeout_seconds=consumer_timeout_seconds(
                cli.zappa_settings, main=main_stage(cli.zappa_settings, cli.api_stage)
            ),
        )
    if refusal:
        raise DeployError(refusal)


def stack_values_read(cli, steps: Steps, *, stage: str):
    from infra.stage_values import stage_values

    with steps.step(f"stack outputs ({stage})"):
        try:
            return stage_values(stage, with_database=cli.command in BUILDS)
        except Exception as exc:
            if cli.command != "package":
                raise
            # `zappa package` works offline; its settings then lack the stack's values.
            say(f"  no stack outputs ({type(exc).__name__}): packaging the committed settings")
    return None


def stack_values_apply(cli, steps: Steps, *, values) -> None:
    """The stack's role, VPC, bucket and environment into the command; its queue ARNs into
    the events, whose mappings start disabled (the post callback configures them)."""
    from infra.mappings import consumer_conflicts, events_with_safe_state
    from infra.stage_values import events_filled

    cli.s3_bucket_name = values.deploy_bucket
    cli.manage_roles = False
    cli.zappa.credentials_arn = values.role_arn
    cli.vpc_config = values.vpc_config
    cli.environment_variables = {**cli.environment_variables, **values.environment}
    events = events_filled(cli.stage_config.get("events") or [], outputs=values.outputs)
    if cli.command in ("deploy", "update", "schedule"):
        with steps.step("event source mappings: current consumers"):
            conflicts = consumer_conflicts(
                events, function_name=cli.lambda_name, queue_arns=values.queue_arns
            )
            if conflicts:
                raise DeployError("; ".join(conflicts))
            events = events_with_safe_state(events, function_name=cli.lambda_name)
    cli.override_stage_config_setting("events", events)
    if cli.layers:
        layers_apply(cli, steps, deploy_bucket=values.deploy_bucket)


def layers_apply(cli, steps: Steps, *, deploy_bucket: str) -> None:
    from infra.layer import layers_resolved

    with steps.step("layers"):
        cli.layers = layers_resolved(
            cli.layers, deploy_bucket=deploy_bucket, publish=cli.command in ("deploy", "update")
        )


def rollback_apply(cli, steps: Steps, *, stage: str) -> None:
    from infra.rollback import rollback_check

    expected = {
        "ENVIRONMENT_VARIABLES": {
            **({"AWS_REGION": cli.aws_region} if cli.aws_region else {}),
            **cli.environment_variables,
        },
        "AWS_EVENT_MAPPING": {
            event["event_source"]["arn"]: [event["function"]]
            for event in cli.stage_config.get("events") or []
            if isinstance(event.get("event_source"), dict)
        },
    }
    with steps.step("rollback check: the older package's settings"):
        rollback_check(
            function_name=cli.lambda_name,
            versions_back=int(cli.vargs.get("num_rollback") or 1),
            expected=expected,
            stage=stage,
        )


def package_prepare(cli, steps: Steps, *, stage: str) -> None:
    from infra.package import (
        SOURCE_TAG,
        deployed_digest,
        excludes_with_development_tools,
        source_digest,
        static_collect,
    )

    if cli.vargs.get("zip"):  # a package built before: Zappa uploads it as it is
        steps.begin("upload and function update (Zappa)")
        return
    with steps.step("static files (collectstatic, with manifest)"):
        static_collect(stage=stage)
    with steps.step("runtime packages only"):
        cli.override_stage_config_setting(
            "exclude", excludes_with_development_tools(cli.stage_config.get("exclude") or [])
        )
    # A copy: Zappa appends to the `exclude` list it is given while it packages.
    cli.deploy_fingerprint = json.loads(
        json.dumps(
            {
                "config": cli.stage_config,
                "role": cli.zappa.credentials_arn,
                "vpc": cli.vpc_config,
                "layers": cli.layers,
                "environment": cli.environment_variables,
                "python": sys.version_info[:2],
            },
            default=str,
        )
    )
    if cli.command != "package":
        with steps.step("sources digest (an unchanged update stops here)"):
            cli.deploy_source_digest = source_digest(
                excludes=cli.stage_config.get("exclude") or [], settings=cli.deploy_fingerprint
            )
            unchanged = deployed_digest(cli.lambda_name, SOURCE_TAG) == cli.deploy_source_digest
        if unchanged and cli.command == "update" and not os.environ.get("ZAPPA_FORCE_UPDATE"):
            say(
                f"{cli.lambda_name}: package and settings unchanged since the last deploy, "
                "nothing to update (ZAPPA_FORCE_UPDATE=1 updates anyway)"
            )
            say(f"  steps: {steps.summary()}")
            sys.exit(0)
    steps.begin("package (Zappa copies and zips the project)")
