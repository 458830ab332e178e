"""The defaults that differ by stage, as each settings module evaluates them in a clean
process: sign-up on first login, GraphiQL and introspection, CORS for any origin, the test
suite's broker.

STAGE is read once (config.env.settle_stage) and these defaults live in config/django/<mode>.py;
the integration files in config/settings/ are the same for every stage.
"""

import os
from pathlib import Path

import pytest

from tests.helpers import PROJECT_ROOT, process_report

PRINT_SETTINGS = """
import importlib, json, sys
settings = importlib.import_module(sys.argv[1])
print(json.dumps({name: getattr(settings, name) for name in (
    "STAGE", "SIGN_UP_ON_FIRST_LOGIN", "GRAPHIQL_ENABLED", "GRAPHQL_INTROSPECTION_ENABLED",
    "CELERY_BROKER_URL", "CORS_ALLOW_ALL_ORIGINS")}))
"""

SECRETS = {"SECRETS_SOURCE": "env", "SECRET_KEY": "s" * 50, "JWT_SIGNING_KEY": "j" * 50}


def settings_of(module: str, tmp_path, **environ) -> dict:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        **environ,
    }
    return process_report(PRINT_SETTINGS, module, env=env)


def aws(tmp_path, stage: str | None, **environ) -> dict:
    stage_env = {"STAGE": stage} if stage else {}
    return settings_of(
        "config.django.aws",
        tmp_path,
        **SECRETS,
        **stage_env,
        DATABASE_URL="sqlite:///:memory:",
        **environ,
    )


def workers(tmp_path, stage: str | None, **environ) -> dict:
    stage_env = {"STAGE": stage} if stage else {}
    return settings_of(
        "config.django.workers",
        tmp_path,
        **SECRETS,
        **stage_env,
        DATABASE_URL="postgres://app@127.0.0.1:5432/handbook",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="api.example.com",
        **environ,
    )


def flags(settings: dict) -> tuple[str, bool, bool, bool]:
    return (
        settings["STAGE"],
        settings["SIGN_UP_ON_FIRST_LOGIN"],
        settings["GRAPHIQL_ENABLED"],
        settings["GRAPHQL_INTROSPECTION_ENABLED"],
    )


def test_local_and_test_modes_sign_up_on_first_login_and_show_graphiql(tmp_path):
    local = settings_of("config.django.local", tmp_path, LOCAL_STATE_DIR=str(tmp_path))
    test = settings_of("config.django.test", tmp_path)

    assert flags(local) == ("local", True, True, True)
    assert local["CELERY_BROKER_URL"] == "filesystem://"
    assert flags(test) == ("test", True, True, True)
    assert test["CELERY_BROKER_URL"] == "memory://"


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (None, ("dev", True, True, True)),
        ("dev", ("dev", True, True, True)),
        ("staging", ("staging", False, True, True)),
        ("pr-42", ("pr-42", False, True, True)),
        ("prod", ("prod", False, False, False)),
    ],
)
def test_aws_stages(tmp_path, stage, expected):
    settings = aws(tmp_path, stage)

    assert flags(settings) == expected
    assert settings["CELERY_BROKER_URL"] == "filesystem://"


@pytest.mark.parametrize(
    ("stage", "any_origin"),
    [("dev", True), ("pr-42", True), ("staging", False), ("prod", False)],
)
def test_aws_stages_take_browser_clients_from_any_origin_on_dev_and_previews_only(
    tmp_path, stage, any_origin
):
    assert aws(tmp_path, stage)["CORS_ALLOW_ALL_ORIGINS"] is any_origin
    assert aws(tmp_path, "prod", CORS_ALLOW_ALL_ORIGINS="true")["CORS_ALLOW_ALL_ORIGINS"] is True


def test_workers_mode_defaults_to_prod_and_follows_the_same_rules(tmp_path):
    assert flags(workers(tmp_path, None)) == ("prod", False, False, False)
    assert flags(workers(tmp_path, "dev")) == ("dev", True, True, True)


def test_the_environment_wins_over_every_stage_default(tmp_path):
    turned_on = aws(tmp_path, "prod", SIGN_UP_ON_FIRST_LOGIN="true", GRAPHIQL_ENABLED="true")
    turned_off = settings_of(
        "config.django.local",
        tmp_path,
        LOCAL_STATE_DIR=str(tmp_path),
        SIGN_UP_ON_FIRST_LOGIN="false",
        GRAPHQL_INTROSPECTION_ENABLED="false",
    )

    assert flags(turned_on) == ("prod", True, True, False)
    assert flags(turned_off) == ("local", False, True, False)


def test_integration_settings_read_no_stage():
    integration = Path(PROJECT_ROOT, "config", "settings").glob("*.py")

    assert [path.name for path in integration if "STAGE" in path.read_text()] == []
