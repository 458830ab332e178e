"""The workers mode as README.md runs it: scripts/migrate, web, worker and beat as real
processes, on a PostgreSQL database of their own and RabbitMQ (TEST_AMQP_URL)."""

import os
import secrets
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from benchmarks.aws_emulator import free_loopback_port
from tests.helpers import PROJECT_ROOT
from tests.helpers.workers import ADMIN_PASSWORD, ADMIN_USERNAME


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Process:
    """One command of the README, in its own process group (its children included)."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class WorkersDeployment:
    environment: dict
    state_dir: Path
    port: int
    processes: list[Process] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *command: str, **extra_env) -> str:
        """A one-off command (scripts/migrate, manage.py ...) with the deployment's settings."""
        result = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            env={**self.environment, **extra_env},
            timeout=300,
        )
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name: str, command: str, **extra_env) -> Process:
        log_path = self.state_dir / f"{name}.log"
        popen = subprocess.Popen(
            [str(PROJECT_ROOT / "scripts" / command)],
            cwd=PROJECT_ROOT,
            env={**self.environment, **extra_env},
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name=name, popen=popen, log_path=log_path)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-4000:]}" for p in self.processes)

    def terminate(self, *, timeout: float = 30) -> dict[str, float | None]:
        """SIGTERM each command (as a process manager does); how long each took to exit,
        None for one still running after `timeout` (then killed with its group)."""
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        started = time.monotonic()
        took = {}
        for process in self.processes:
            try:
                process.popen.wait(timeout=max(0.1, timeout - (time.monotonic() - started)))
                took[process.name] = time.monotonic() - started
            except subprocess.TimeoutExpired:
                took[process.name] = None
        return took

    def leftovers(self) -> list[str]:
        """Processes of any command's group still alive (pool children, gunicorn workers)."""
        return [p.name for p in self.processes if process_group_alive(p.popen.pid)]

    def kill_everything(self) -> None:
        for process in self.processes:
            if process_group_alive(process.popen.pid):
                os.killpg(process.popen.pid, signal.SIGKILL)
            if process.popen.poll() is None:
                process.popen.wait(timeout=10)


def server_url(database_url: str, database: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{database}", query=""))


@pytest.fixture(scope="module")
def workers_database():
    """A PostgreSQL database of its own, on the server of the suite's DATABASE_URL."""
    import psycopg
    from django.db import connection

    # The tests are marked postgres_only: on SQLite they are left out, loudly, before this.
    assert connection.vendor == "postgresql"
    base_url = os.environ["DATABASE_URL"]
    name = f"sh_workers_mode_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url(base_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield server_url(base_url, name)
    with psycopg.connect(server_url(base_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def amqp_url() -> str:
    return os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture(scope="module")
def deployment(workers_database, amqp_url, tmp_path_factory):
    """migrate, an admin created with manage.py, then gunicorn, two workers and beat."""
    state_dir = tmp_path_factory.mktemp("workers_state")
    suffix = uuid.uuid4().hex[:10]
    queues = {
        "default": f"workers-test-{suffix}",
        "map": f"workers-test-map-{suffix}",
        "reduce": f"workers-test-reduce-{suffix}",
    }
    port = free_loopback_port()
    environment = {
        # Only what a server's environment would hold: no test settings leak in.
        **{
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHON")
        },
        "DATABASE_URL": workers_database,
        "CELERY_BROKER_URL": amqp_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "false",  # plain HTTP on loopback; production sits behind TLS
        "STATE_DIR": str(state_dir),
        "STATIC_ROOT": str(state_dir / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        # Queues of this run's own: the broker may be shared with other runs.
        "CELERY_TASK_DEFAULT_QUEUE": queues["default"],
        "PIPELINE_CELERY_MAP_QUEUE": queues["map"],
        "PIPELINE_CELERY_REDUCE_QUEUE": queues["reduce"],
        "PIPELINE_PACKET_SIZE": "5",
        # Beat sends the cleanup job every 2 s instead of every few minutes.
        "PIPELINE_CLEANUP_EVERY_SECONDS": "2",
        "WORKER_CONCURRENCY": "2",
    }
    deployment = WorkersDeployment(environment=environment, state_dir=state_dir, port=port)
    deployment.run(str(PROJECT_ROOT / "scripts" / "migrate"), "-v0")
    deployment.run(
        str(PROJECT_ROOT / ".venv" / "bin" / "python"),
        "manage.py",
        "createsuperuser",
        "--noinput",
        "--username",
        ADMIN_USERNAME,
        "--email",
        "operator@example.com",
        DJANGO_SETTINGS_MODULE="config.django.workers",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
    )
    for index in (1, 2):
        deployment.start(f"worker{index}", "worker", WORKER_NAME=f"worker{index}-{suffix}")
    deployment.start("beat", "beat")
    deployment.start("web", "web")
    try:
        yield deployment
    finally:
        deployment.terminate(timeout=30)
        deployment.kill_everything()
        from kombu import Connection

        with Connection(amqp_url) as connection:
            for queue in queues.values():
                connection.default_channel.queue_delete(queue)
