"""The browser's own stage-function in zappa_settings.json: Zappa's `extends` is shallow, so
the stage restates base's lists; what it changes is checked here as Zappa reads it."""

import pytest

from tests.helpers import PROJECT_ROOT


def stage_config(stage: str) -> dict:
    from zappa.cli import ZappaCLI

    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_credentials = False
    cli.load_settings(str(PROJECT_ROOT / "zappa_settings.json"))
    return cli.stage_config


BROWSER_STAGES = [("dev", "dev_browser"), ("staging", "staging_browser"), ("prod", "prod_browser")]


@pytest.mark.parametrize(("main", "function"), BROWSER_STAGES)
def test_every_stage_has_its_browser_function_extending_it(main, function):
    browser = stage_config(function)

    assert browser["environment_variables"]["CHROMIUM_BUILD"] == "lambda"
    assert browser["log_level"] == stage_config(main)["log_level"]
    assert browser["memory_size"] == 2560 and browser["events"] == []


def test_browser_stage_ships_pyppeteer_and_excludes_the_rest_as_base_does():
    base, browser = stage_config("dev"), stage_config("dev_browser")

    assert {"pyppeteer", "pyee", "websockets"} <= set(base["exclude"])
    assert not {"pyppeteer", "pyee", "websockets"} & set(browser["exclude"])
    assert set(browser["exclude"]) == set(base["exclude"]) - {"pyppeteer", "pyee", "websockets"}


def test_browser_stage_has_its_memory_timeout_layer_and_no_schedules():
    browser = stage_config("dev_browser")

    assert browser["memory_size"] == 2560 and browser["timeout_seconds"] == 30
    assert browser["ephemeral_storage"] == {"Size": 1024}  # ~215 MB unpacked into /tmp
    # scripts/deploy publishes the layer and puts its ARN in the generated settings
    assert browser["layers"] == ["published-layer:serverless-handbook-chromium"]
    assert browser["events"] == []


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_other_stages_send_browser_requests_to_the_browser_function(stage):
    environment = stage_config(stage)["environment_variables"]

    # Not set: config.django.aws defaults it to "none" (tests/config/test_aws_settings_errors)
    assert "CHROMIUM_BUILD" not in environment


def test_browser_stage_keeps_the_base_environment_and_runs_the_lambda_build():
    base, browser = (stage_config(name)["environment_variables"] for name in ("dev", "dev_browser"))

    assert {
        key: value for key, value in browser.items() if key in base and key != "CHROMIUM_BUILD"
    } == {key: value for key, value in base.items() if key != "CHROMIUM_BUILD"}
    assert browser["CHROMIUM_BUILD"] == "lambda"
    assert browser["CHROMIUM_LAMBDA_DIR"] == "/opt/chromium"
    assert float(browser["BROWSER_DEADLINE_SECONDS"]) < 29  # API Gateway's cut
    # A safety net only: the memory-pressure signal after each page keeps RSS flat.
    assert browser["BROWSER_RECYCLE_AFTER_PAGES"] == "500"
