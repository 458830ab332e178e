"""Tracing's export path on AWS is configuration (it cannot run here): the stages that trace
carry the ADOT collector layer for their region and architecture, point it at the collector
config the package ships, and that config takes OTLP/HTTP where monitoring/otel_export.py
sends it and exports to X-Ray with our request id indexed. Stages that do not trace carry none
of it."""

import json

import pytest
import yaml

from config.stage_checks.settings_file import stage_resolve
from tests.helpers import PROJECT_ROOT

SETTINGS = json.loads((PROJECT_ROOT / "zappa_settings.json").read_text())
ADOT_ACCOUNT = "901920570463"  # AWS's account publishing the ADOT layers
TRACED = [name for name in SETTINGS if stage_resolve(SETTINGS, name).get("xray_tracing")]
UNTRACED = [name for name in SETTINGS if name != "base" and name not in TRACED]


def collector_layers(stage: dict) -> list[str]:
    return [layer for layer in stage.get("layers", []) if ":layer:aws-otel-collector-" in layer]


def test_staging_and_prod_functions_all_trace():
    assert {"staging", "prod", "staging_workers", "prod_browser"} <= set(TRACED)
    assert "dev" in UNTRACED and "dev_workers" in UNTRACED


@pytest.mark.parametrize("name", TRACED)
def test_a_traced_stage_runs_the_adot_collector_with_our_config(name):
    stage = stage_resolve(SETTINGS, name)

    [layer] = collector_layers(stage)
    region, account = layer.split(":")[3:5]
    assert region == stage["aws_region"] and account == ADOT_ACCOUNT
    architecture = {"x86_64": "amd64", "arm64": "arm64"}[stage["architecture"]]
    assert f":layer:aws-otel-collector-{architecture}-ver-" in layer
    # The extension reads the config from the function's environment (not Zappa's in-process
    # environment_variables, which an extension never sees).
    config_uri = stage["aws_environment_variables"]["OPENTELEMETRY_COLLECTOR_CONFIG_URI"]
    assert config_uri == "/var/task/config/otel-collector.yaml"
    # Browser functions keep their Chromium layer beside it.
    if name.endswith("_browser"):
        assert "published-layer:serverless-handbook-chromium" in stage["layers"]


@pytest.mark.parametrize("name", UNTRACED)
def test_an_untraced_stage_carries_no_collector(name):
    stage = stage_resolve(SETTINGS, name)

    assert collector_layers(stage) == []
    assert "OPENTELEMETRY_COLLECTOR_CONFIG_URI" not in (
        stage.get("aws_environment_variables") or {}
    )


def test_the_collector_takes_our_spans_and_exports_them_to_xray_with_the_request_id():
    config = yaml.safe_load((PROJECT_ROOT / "config" / "otel-collector.yaml").read_text())

    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "localhost:4318"
    assert config["service"]["pipelines"]["traces"] == {
        "receivers": ["otlp"],
        "exporters": ["awsxray"],
    }
    assert "request_id" in config["exporters"]["awsxray"]["indexed_attributes"]


def test_the_package_ships_the_collector_config():
    patterns = SETTINGS["base"]["exclude"] + SETTINGS["base"].get("exclude_glob", [])
    assert not {"config", "*.yaml", "otel-collector.yaml"} & set(patterns)


def test_our_exporter_sends_where_the_collector_listens(monkeypatch):
    # With no endpoint in the environment (as on Lambda), the SDK default is the collector's.
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    assert OTLPSpanExporter()._endpoint == "http://localhost:4318/v1/traces"
