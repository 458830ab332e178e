"""`manage.py stage_check` and the deploy's use of it; every operator command's --help."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from config.stage_checks.settings_file import zappa_settings_load
from tests.helpers import PROJECT_ROOT

OPERATOR_COMMANDS = {
    "pipelines_cleanup": "pipelines",
    "deadletters": "pipelines",
    "roles": "accounts",
    "scopes": "accounts",
    "stage_check": "config",
}


def stage_check(*args) -> str:
    out = io.StringIO()
    call_command("stage_check", *args, stdout=out)
    return out.getvalue()


def broken_settings_file(tmp_path):
    """The committed file plus a stage whose own environment_variables dropped the base's."""
    zappa_settings = zappa_settings_load(PROJECT_ROOT / "zappa_settings.json")
    zappa_settings["broken"] = {
        "extends": "base",
        "environment_variables": {"PIPELINE_TRANSPORT": "sqs"},
    }
    path = tmp_path / "zappa_settings.json"
    path.write_text(json.dumps(zappa_settings))
    return path


@pytest.mark.parametrize("name", sorted(OPERATOR_COMMANDS))
def test_every_operator_command_explains_itself(name):
    command = load_command_class(OPERATOR_COMMANDS[name], name)
    text = command.create_parser("manage.py", name).format_help()
    assert f"usage: manage.py {name}" in text
    assert len(command.help) > 80


def test_a_committed_stage_passes_and_says_what_it_did_not_check():
    output = stage_check("prod")
    assert output.splitlines() == [
        f"Stage 'prod' in {PROJECT_ROOT / 'zappa_settings.json'} (committed): ok",
        "  NOTE the pipeline queues' ARNs and URLs are not in this file: at `zappa "
        "deploy|update prod_workers` the settings callback fills them in from the stack's "
        "outputs (`scripts/deploy prod --infra-only` creates the stack), and the post "
        "callback checks each queue has one consumer",
        "Django's deploy checks: not run (this process runs stage 'test' settings; run "
        '`scripts/zappa manage prod "stage_check prod"` to check the deployed function)',
    ]


def test_a_stage_that_lost_its_base_variables_fails(tmp_path):
    path = broken_settings_file(tmp_path)
    out = io.StringIO()

    with pytest.raises(CommandError, match="stage 'broken' is not fit to deploy: 3 problem"):
        call_command("stage_check", "broken", "--settings-file", str(path), stdout=out)

    assert (
        "  ERROR ALLOWED_HOSTS is set neither in environment_variables nor in .env.broken "
        "(config.django.aws needs it)"
    ) in out.getvalue().splitlines()


def test_a_generated_file_needs_every_queue_mapped():
    with pytest.raises(CommandError, match="stage 'dev' is not fit to deploy: 2 problem"):
        stage_check("dev", "--generated")


def test_an_unknown_stage_or_unreadable_file_fails(tmp_path):
    with pytest.raises(CommandError, match="stage 'nope' is not fit to deploy"):
        stage_check("nope")
    with pytest.raises(CommandError, match="cannot read"):
        stage_check("dev", "--settings-file", str(tmp_path / "missing.json"))


def test_django_deploy_checks_run_for_the_stage_the_process_runs(settings):
    # Given this process runs the prod stage's settings, with a deploy-check problem
    settings.STAGE = "prod"
    settings.SESSION_COOKIE_SECURE = False
    out = io.StringIO()

    with pytest.raises(CommandError, match="stage 'prod' is not fit to deploy"):
        call_command("stage_check", "prod", stdout=out)

    assert "security.W012" in out.getvalue()
    assert (
        f"Stage 'prod' in {PROJECT_ROOT / 'zappa_settings.json'} (committed): ok" in out.getvalue()
    )


# --- as the deploy runs it --------------------------------------------------------------------


def build_time_environment(tmp_path) -> dict:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.django.aws",
        "STAGE": "dev",
        "SECRETS_SOURCE": "env",
        "SECRET_KEY": "x",
        "JWT_SIGNING_KEY": "x",
        "DATABASE_URL": "sqlite://",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }


def test_as_a_manage_py_process_with_the_aws_settings(tmp_path):
    environment = build_time_environment(tmp_path)
    ok = subprocess.run(
        [sys.executable, "manage.py", "stage_check", "dev", "--settings-only"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("Stage 'dev' in ")

    failed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "stage_check",
            "broken",
            "--settings-only",
            "--settings-file",
            str(broken_settings_file(tmp_path)),
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode == 1
    assert "CommandError: stage 'broken' is not fit to deploy: 3 problem(s)" in failed.stderr


def test_scripts_zappa_refuses_to_deploy_a_stage_that_fails(tmp_path):
    """With `-s FILE` Zappa would deploy that file: it is checked with --generated (the
    stack's values filled in), and the deploy stops before anything is built or sent to AWS."""
    path = broken_settings_file(tmp_path)
    for command in ("deploy", "update"):
        process = subprocess.run(
            ["scripts/zappa", command, "broken", "-s", str(path)],
            cwd=PROJECT_ROOT,
            env={
                "PATH": os.environ["PATH"],
                "HOME": str(tmp_path),
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )

        assert process.returncode == 1
        assert f"scripts/zappa: refusing to {command} stage 'broken'" in process.stderr
        assert "ERROR PIPELINE_MAP_QUEUE_URL is not set" in process.stdout
        assert "ALLOWED_HOSTS is set neither in environment_variables" in process.stdout
