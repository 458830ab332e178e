"""The stage checks (config/stage_checks/): a Zappa stage fit to deploy (docs/contract.md §3.7, §4)."""

import copy
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from config.stage_checks.settings_file import (
    stage_env_file_values,
    stage_resolve,
    zappa_settings_load,
)
from config.stage_checks.stage import stage_errors
from tests.helpers import PROJECT_ROOT

ACCOUNT = "123456789012"
MAP_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:serverless-handbook-pipeline-map-prod"
REDUCE_ARN = MAP_ARN.replace("-map-", "-reduce-")


def committed() -> dict:
    return zappa_settings_load(PROJECT_ROOT / "zappa_settings.json")


def documented_filled_stage() -> dict:
    """The filled-in stage docs/pipelines.md shows (its first JSON block naming a stage)."""
    text = (PROJECT_ROOT / "docs" / "pipelines.md").read_text()
    block = next(
        match
        for match in re.findall(r"```json\n(.*?)```", text, re.S)
        if match.lstrip().startswith('"prod"')
    )
    return json.loads("{" + block + "}")["prod"]


def generated() -> dict:
    """The committed file with prod's queues filled in from a stack (docs/pipelines.md)."""
    return {**committed(), "prod": documented_filled_stage()}


def consumer(function: str, arn: str, **source) -> dict:
    return {"function": function, "event_source": {"arn": arn, "batch_size": 10, **source}}


# --- resolving `extends` as Zappa does -------------------------------------------------------


def zappa_resolved(zappa_settings: dict, stage: str, tmp_path) -> dict:
    from zappa.cli import ZappaCLI

    path = tmp_path / "zappa_settings.json"
    path.write_text(json.dumps(zappa_settings))
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_credentials = False
    cli.load_settings(str(path))
    return cli.stage_config


def test_stages_resolve_exactly_as_zappa_resolves_them(tmp_path):
    zappa_settings = {
        **committed(),
        "prod-consumers": {
            "extends": "prod",
            "memory_size": 2048,
            "environment_variables": {"LOG_LEVEL": "DEBUG"},
        },
    }
    for stage in zappa_settings:
        assert stage_resolve(zappa_settings, stage) == zappa_resolved(
            zappa_settings, stage, tmp_path
        ), stage


def test_a_circular_or_dangling_extends_is_reported():
    assert stage_errors({"a": {"extends": "b"}, "b": {"extends": "a"}}, "a") == [
        "circular `extends`: a -> b -> a"
    ]
    assert stage_errors({"a": {"extends": "gone"}}, "a") == [
        "stage 'gone' is not defined (extended by 'a')"
    ]


# --- the committed file -----------------------------------------------------------------------


def test_every_stage_of_the_committed_file_passes():
    zappa_settings = committed()
    for stage in zappa_settings:
        assert stage_errors(zappa_settings, stage) == [], stage


def test_a_stage_setting_its_own_environment_loses_the_base_variables():
    # Given the stage snippet docs/pipelines.md used to show: only the pipeline variables
    zappa_settings = committed()
    zappa_settings["prod"]["environment_variables"] = {"PIPELINE_TRANSPORT": "sqs"}

    # When the stage is checked
    errors = stage_errors(zappa_settings, "prod")

    # Then the shallow `extends` is named, with what it dropped
    assert errors == [
        "`environment_variables` of stage 'prod' replaces the one of 'base' (Zappa's "
        "`extends` copies top-level keys, it does not merge them): ALLOWED_HOSTS, "
        "SECRETS_PREFIX are lost; repeat them in 'prod'",
        "ALLOWED_HOSTS is set neither in environment_variables nor in .env.prod (config.django.aws needs it)",
        "SECRETS_PREFIX is set neither in environment_variables nor in .env.prod (config.django.aws needs it)",
    ]


def test_a_stage_with_its_own_events_must_keep_each_schedule_once():
    zappa_settings = committed()
    zappa_settings["dev"]["events"] = []
    assert stage_errors(zappa_settings, "dev") == [
        "no schedule (`expression`) event runs pipelines.lambda_consumers.cleanup",
        "no schedule (`expression`) event runs pipelines.lambda_consumers.stall_watch",
    ]

    cleanup = {"function": "pipelines.lambda_consumers.cleanup", "expression": "rate(1 hour)"}
    watch = {"function": "pipelines.lambda_consumers.stall_watch", "expression": "rate(1 minute)"}
    zappa_settings["dev"]["events"] = [cleanup, cleanup, watch]
    assert stage_errors(zappa_settings, "dev") == [
        "2 schedule events run pipelines.lambda_consumers.cleanup; one is enough"
    ]
    zappa_settings["dev"]["events"] = [cleanup, watch, watch]
    assert stage_errors(zappa_settings, "dev") == [
        "2 schedule events run pipelines.lambda_consumers.stall_watch; one is enough"
    ]
    zappa_settings["dev"]["events"] = [cleanup]
    assert stage_errors(zappa_settings, "dev") == [
        "no schedule (`expression`) event runs pipelines.lambda_consumers.stall_watch"
    ]


def test_every_committed_main_stage_runs_both_schedules_and_no_function_stage_does():
    zappa_settings = committed()
    for stage in (
        "dev",
        "staging",
        "prod",
        "dev_browser",
        "staging_browser",
        "prod_browser",
        "dev_workers",
        "staging_workers",
        "prod_workers",
    ):
        assert stage_errors(zappa_settings, stage) == [], stage
    for stage in ("dev", "staging", "prod"):
        functions = [
            event["function"]
            for event in stage_resolve(zappa_settings, stage)["events"]
            if "expression" in event
        ]
        assert sorted(functions) == [
            "pipelines.lambda_consumers.cleanup",
            "pipelines.lambda_consumers.stall_watch",
        ]


def test_queue_arns_and_urls_typed_into_the_committed_file_are_errors():
    zappa_settings = generated()

    errors = stage_errors(zappa_settings, "prod")

    assert errors == [
        f"queue ARN {MAP_ARN} is typed into zappa_settings.json: write "
        '`"arn": "stack-output:MapQueueArn"`, which the settings callback fills in from the '
        "stage's stack at deploy (docs/contract.md §4)",
        f"queue ARN {REDUCE_ARN} is typed into zappa_settings.json: write "
        '`"arn": "stack-output:ReduceQueueArn"`, which the settings callback fills in from the '
        "stage's stack at deploy (docs/contract.md §4)",
        "PIPELINE_MAP_QUEUE_URL is typed into zappa_settings.json: delete it; the settings "
        "callback sets it from the stack output MapQueueUrl at deploy (docs/contract.md §4)",
        "PIPELINE_REDUCE_QUEUE_URL is typed into zappa_settings.json: delete it; the settings "
        "callback sets it from the stack output ReduceQueueUrl at deploy (docs/contract.md §4)",
    ]


# --- the stack's values filled in: every queue has exactly one consumer ----------------------


def test_the_documented_filled_stage_passes():
    assert stage_errors(generated(), "prod", generated=True) == []


def test_the_committed_stages_are_not_deployable_as_they_are():
    """Without the stack's queue settings, the aws settings' sqs transport has no queues."""
    assert stage_errors(committed(), "prod", generated=True) == [
        "PIPELINE_MAP_QUEUE_URL is not set (the stage's transport is sqs; at deploy the "
        "settings callback sets it from the stack output MapQueueUrl)",
        "PIPELINE_REDUCE_QUEUE_URL is not set (the stage's transport is sqs; at deploy the "
        "settings callback sets it from the stack output ReduceQueueUrl)",
    ]


def test_an_unmapped_queue_is_an_error():
    zappa_settings = generated()
    zappa_settings["prod"]["events"] = [
        event
        for event in zappa_settings["prod"]["events"]
        if event["function"] != "pipelines.lambda_consumers.consume_reduce"
    ]

    assert stage_errors(zappa_settings, "prod", generated=True) == [
        f"queue {REDUCE_ARN} has no consumer: map it to "
        "pipelines.lambda_consumers.consume_reduce in `events` (Zappa deletes an unmapped "
        "queue's messages unread)"
    ]


def test_a_queue_mapped_to_the_wrong_function_or_twice_is_an_error():
    zappa_settings = generated()
    events = zappa_settings["prod"]["events"]
    events[0]["function"], events[1]["function"] = events[1]["function"], events[0]["function"]
    assert stage_errors(zappa_settings, "prod", generated=True) == [
        f"queue {MAP_ARN} is mapped to pipelines.lambda_consumers.consume_reduce, not "
        "pipelines.lambda_consumers.consume_map",
        f"queue {REDUCE_ARN} is mapped to pipelines.lambda_consumers.consume_map, not "
        "pipelines.lambda_consumers.consume_reduce",
    ]

    # A consumer stage-function (docs/contract.md §4) that inherits the web stage's mappings: two
    # functions would take the same messages.
    zappa_settings = generated()
    zappa_settings["prod-consumers"] = {"extends": "prod", "memory_size": 2048}
    errors = stage_errors(zappa_settings, "prod", generated=True)
    assert errors[0] == (
        f"queue {MAP_ARN} has 2 consumers (stages prod, prod-consumers); exactly one"
    )


def test_the_stage_that_consumes_may_be_another_stage_of_the_file():
    zappa_settings = generated()
    web = zappa_settings["prod"]
    cleanup = [event for event in web["events"] if "expression" in event]
    zappa_settings["prod-consumers"] = {
        "extends": "prod",
        "memory_size": 2048,
        "events": [e for e in web["events"] if e not in cleanup],
    }
    web["events"] = cleanup  # the schedule stays with the main stage (companion_of)

    assert stage_errors(zappa_settings, "prod", generated=True) == []
    assert stage_errors(zappa_settings, "prod-consumers", generated=True) == []


def test_oversized_batches_disabled_sources_and_strange_queues_are_errors():
    zappa_settings = generated()
    events = zappa_settings["prod"]["events"]
    events[0]["event_source"]["batch_size"] = 100
    events[1]["event_source"]["enabled"] = False
    other = MAP_ARN.replace("pipeline-map", "other")
    events.append(consumer("pipelines.lambda_consumers.consume_map", other))

    assert stage_errors(zappa_settings, "prod", generated=True) == [
        f"queue {MAP_ARN}: batch_size 100 > 10 needs a batching window",
        f"queue {REDUCE_ARN}: its event source is disabled",
        f"pipelines.lambda_consumers.consume_map consumes {other}, which is not one of the "
        "stage's PIPELINE_*_QUEUE_URL queues",
    ]


def test_a_stage_on_the_celery_transport_needs_no_queues():
    zappa_settings = copy.deepcopy(committed())
    zappa_settings["dev"]["environment_variables"] = {
        **zappa_settings["base"]["environment_variables"],
        "PIPELINE_TRANSPORT": "celery",
    }
    assert stage_errors(zappa_settings, "dev", generated=True) == []


# --- `manage.py check --deploy` runs the same checks -------------------------------------------


def test_check_deploy_reports_the_stage_the_process_runs(settings, tmp_path):
    # Given a process running stage "broken", whose settings lost the base's variables
    zappa_settings = committed()
    zappa_settings["broken"] = {"extends": "base", "environment_variables": {"X": "1"}}
    path = tmp_path / "zappa_settings.json"
    path.write_text(json.dumps(zappa_settings))
    settings.ZAPPA_SETTINGS_FILE = path
    settings.STAGE = "broken"

    # When Django's deploy checks run, then they fail naming what the stage lost
    with pytest.raises(
        SystemCheckError,
        match="stage 'broken': ALLOWED_HOSTS is set neither in environment_variables",
    ):
        call_command("check", "--deploy", "--tag", "compatibility")

    # And a stage that is fine passes
    settings.STAGE = "prod"
    call_command("check", "--deploy", "--tag", "compatibility")


def test_check_deploy_reports_an_sqs_transport_without_queue_urls(settings):
    settings.PIPELINE_TRANSPORT = "sqs"
    settings.PIPELINE_QUEUE_URLS = {
        "map": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        "reduce": "",
    }

    with pytest.raises(SystemCheckError, match="PIPELINE_REDUCE_QUEUE_URL is not set"):
        call_command("check", "--deploy", "--tag", "compatibility")


def test_a_malformed_stage_is_reported_not_a_traceback():
    zappa_settings = committed()
    zappa_settings["dev"]["events"] = ["pipelines.lambda_consumers.cleanup"]
    assert stage_errors(zappa_settings, "dev") == ["`events` must be a list of objects"]
    zappa_settings["dev"]["events"] = [consumer("f", MAP_ARN, batch_size="10")]
    assert stage_errors(zappa_settings, "dev", generated=True) == [
        "an event source's `batch_size` must be a number"
    ]
    zappa_settings["dev"] = {"extends": "base", "environment_variables": "ALLOWED_HOSTS=x"}
    assert stage_errors(zappa_settings, "dev") == ["`environment_variables` must be an object"]


# --- `.env.<stage>`: stage settings config.django.aws reads under the environment variables --


def test_the_stage_env_file_supplies_what_the_settings_file_does_not(tmp_path):
    # Given a .env.prod with the queue URLs and ALLOWED_HOSTS
    (tmp_path / ".env.prod").write_text(
        "ALLOWED_HOSTS=api.example.com\n"
        f"PIPELINE_MAP_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/"
        "serverless-handbook-pipeline-map-prod\n"
        f"PIPELINE_REDUCE_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/"
        "serverless-handbook-pipeline-reduce-prod\n"
    )
    values = stage_env_file_values("prod", base_dir=tmp_path)
    assert values["ALLOWED_HOSTS"] == "api.example.com"
    assert stage_env_file_values("dev", base_dir=tmp_path) == {}

    # And a filled-in stage that maps the queues but sets no URL or ALLOWED_HOSTS itself
    zappa_settings = generated()
    environment = zappa_settings["prod"]["environment_variables"]
    for name in ("ALLOWED_HOSTS", "PIPELINE_MAP_QUEUE_URL", "PIPELINE_REDUCE_QUEUE_URL"):
        del environment[name]
    zappa_settings["prod"]["environment_variables"] = {
        **environment,
        "ALLOWED_HOSTS": "",
    }  # an empty value is unset

    # Then the file's values complete it
    assert stage_errors(zappa_settings, "prod", generated=True) == [
        "ALLOWED_HOSTS is set neither in environment_variables nor in .env.prod "
        "(config.django.aws needs it)",
        "PIPELINE_MAP_QUEUE_URL is not set (the stage's transport is sqs; at deploy the "
        "settings callback sets it from the stack output MapQueueUrl)",
        "PIPELINE_REDUCE_QUEUE_URL is not set (the stage's transport is sqs; at deploy the "
        "settings callback sets it from the stack output ReduceQueueUrl)",
        f"pipelines.lambda_consumers.consume_map consumes {MAP_ARN}, which is not one of the "
        "stage's PIPELINE_*_QUEUE_URL queues",
        f"pipelines.lambda_consumers.consume_reduce consumes {REDUCE_ARN}, which is not one of "
        "the stage's PIPELINE_*_QUEUE_URL queues",
    ]
    zappa_settings["prod"]["environment_variables"].pop("ALLOWED_HOSTS")
    assert stage_errors(zappa_settings, "prod", generated=True, env_file_values=values) == []


def test_a_function_stage_leaves_the_schedule_to_its_main_stage():
    # Given the committed browser function of dev (no events of its own)
    zappa_settings = committed()
    assert stage_errors(zappa_settings, "dev_browser") == []

    # When it schedules the cleanup as well, the job would run twice per interval
    zappa_settings["dev_browser"]["events"] = [
        {"function": "pipelines.lambda_consumers.cleanup", "expression": "rate(15 minutes)"}
    ]

    assert stage_errors(zappa_settings, "dev_browser") == [
        "pipelines.lambda_consumers.cleanup is scheduled in 'dev' already; the function "
        "stage 'dev_browser' must not run it a second time"
    ]

    # And the stall watch likewise, in the workers' function stage too
    zappa_settings["dev_workers"]["events"].append(
        {"function": "pipelines.lambda_consumers.stall_watch", "expression": "rate(1 minute)"}
    )
    assert stage_errors(zappa_settings, "dev_workers") == [
        "pipelines.lambda_consumers.stall_watch is scheduled in 'dev' already; the function "
        "stage 'dev_workers' must not run it a second time"
    ]
