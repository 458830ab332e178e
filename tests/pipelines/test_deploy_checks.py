"""Design §3.7: a pipeline queue without its consumer is a deploy error."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from pipelines.deploy_checks import zappa_stage_consumer_errors

MAP_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/serverless-handbook-pipeline-map-dev"
REDUCE_URL = MAP_URL.replace("-map-", "-reduce-")
GOOD_STAGE = {
    "environment_variables": {"PIPELINE_TRANSPORT": "sqs", "PIPELINE_MAP_QUEUE_URL": MAP_URL,
                              "PIPELINE_REDUCE_QUEUE_URL": REDUCE_URL},
    "events": [
        {"function": "pipelines.lambda_consumers.consume_map", "event_source": {
            "arn": "arn:aws:sqs:us-east-1:123456789012:serverless-handbook-pipeline-map-dev",
            "batch_size": 10}},
        {"function": "pipelines.lambda_consumers.consume_reduce", "event_source": {
            "arn": "arn:aws:sqs:us-east-1:123456789012:serverless-handbook-pipeline-reduce-dev",
            "batch_size": 10}},
        {"function": "pipelines.lambda_consumers.cleanup", "expression": "rate(3 hours)"},
    ],
}


def test_a_fully_mapped_stage_passes():
    assert zappa_stage_consumer_errors(GOOD_STAGE) == []


def test_an_unmapped_queue_and_a_missing_schedule_are_errors():
    stage = {**GOOD_STAGE, "events": GOOD_STAGE["events"][:1]}

    assert zappa_stage_consumer_errors(stage) == [
        "queue arn:aws:sqs:us-east-1:123456789012:serverless-handbook-pipeline-reduce-dev is "
        "not mapped to pipelines.lambda_consumers.consume_reduce in `events`",
        "no schedule `expression` event for pipelines.lambda_consumers.cleanup",
    ]


def test_every_stage_of_the_real_zappa_settings_maps_its_pipeline_queues():
    from tests.zappa_lambda import PROJECT_ROOT

    config = json.loads(Path(PROJECT_ROOT / "zappa_settings.json").read_text())
    for name, stage in config.items():
        merged = {**config.get(stage.get("extends", ""), {}), **stage}
        assert zappa_stage_consumer_errors(merged) == [], name


def test_check_deploy_reports_an_sqs_transport_without_queue_urls(settings):
    settings.PIPELINE_TRANSPORT = "sqs"
    settings.PIPELINE_QUEUE_URLS = {"map": MAP_URL, "reduce": ""}

    with pytest.raises(SystemCheckError, match="PIPELINE_REDUCE_QUEUE_URL is not set"):
        call_command("check", "--deploy", "--tag", "compatibility")
