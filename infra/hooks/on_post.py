"""The post callback: Zappa deployed or updated the function. Configure, enable and check the
SQS mappings; remember the package's digest; then, from the web function, migrate and call
/health."""

import json

from infra.feedback import DeployError, Steps, say


def stage_finish(cli) -> None:
    from click import ClickException

    steps: Steps | None = getattr(cli, "deploy_steps", None)
    if steps is None:  # settings callback not run (a read-only command): nothing to do
        return
    steps.end()
    try:
        stage_complete(cli, steps)
    except DeployError as exc:
        raise ClickException(str(exc)) from exc
    say(f"  steps: {steps.summary()}")


def stage_complete(cli, steps: Steps) -> None:
    from config.stage_checks.settings_file import companion_of
    from infra.mappings import consumer_errors, mappings_configure, sqs_events
    from infra.package import DIGEST_TAG, SOURCE_TAG, digest_record
    from infra.stage_values import stage_values
    from infra.stages import infra_stage

    events = cli.stage_config.get("events") or []
    stage = infra_stage(cli.zappa_settings, cli.api_stage)
    if sqs_events(events):
        with steps.step("event source mappings: ReportBatchItemFailures, concurrency, enable"):
            mappings_configure(events, function_name=cli.lambda_name)
            errors = consumer_errors(stage_values(stage, with_database=False).queue_arns)
            if errors:
                raise DeployError("; ".join(errors))
    if getattr(cli, "deploy_package_digest", None):
        digest_record(
            cli.lambda_name,
            {DIGEST_TAG: cli.deploy_package_digest, SOURCE_TAG: cli.deploy_source_digest},
        )
    if companion_of(cli.zappa_settings, cli.api_stage):
        return  # a function stage: the web function migrates
    unavailable = getattr(cli, "lambda_invocation_unavailable", None)
    if unavailable:
        say(f"==> migrate and GET /health: skipped ({unavailable})")
        return
    with steps.step("migrate (zappa manage migrate)"):
        migrate(cli)
    with steps.step("GET /health"):
        health_check(cli)


def migrate(cli) -> None:
    import base64

    response = cli.zappa.invoke_lambda_function(
        function_name=cli.lambda_name,
        payload=json.dumps({"manage": "migrate --noinput"}).encode(),
        invocation_type="RequestResponse",
    )
    log = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
    if response.get("FunctionError"):
        raise DeployError(f"migrate failed: {log[-2000:]}")
    say("  migrated")


def health_check(cli) -> None:
    import urllib.request

    url = cli.zappa.get_api_url(cli.lambda_name, cli.api_stage)
    if not url:
        raise DeployError(f"no API Gateway URL for {cli.lambda_name}")
    url = url.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our API
            status = response.status
    except OSError as exc:
        raise DeployError(f"GET {url} failed: {exc}") from exc
    say(f"  GET {url}: {status}")
    if status != 200:
        raise DeployError(f"GET {url} answered {status}")
