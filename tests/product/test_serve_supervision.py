"""`scripts/serve` supervises what it started (issue #20 item 1): beat, the worker's main
process and runserver each come back after a SIGKILL, every restart is logged, and a run whose
messages were purged meanwhile finishes exact (the restarted beat's stall watch re-drives it).
A second serve on a busy port says so before it prints any credentials."""

import re
import socket
import subprocess
from pathlib import Path

import pytest

from tests.helpers import PROJECT_ROOT
from tests.helpers.waiting import wait_for
from tests.product.product_client import http_json, login_token, wait_for_run
from tests.product.serve_process import SERVE_SCRIPT, serve_environment, start_serve

pytestmark = [pytest.mark.slow]


@pytest.fixture
def supervised_serve(tmp_path):
    run = start_serve(
        tmp_path / "state",
        home=tmp_path,
        # Short stall watch, so the purged run is re-driven within seconds, not minutes.
        PIPELINE_STALL_WATCH_AFTER_SECONDS="2",
        PIPELINE_STALL_WATCH_EVERY_SECONDS="1",
        PIPELINE_PACKET_SIZE="50",
    )
    yield run
    run.stop()


def serve_log(run) -> str:
    path = run.state_dir / "log" / "serve.log"
    return path.read_text() if path.exists() else ""


def printed_pid(run, what: str) -> int:
    return int(re.search(rf"Celery {what}: pid (\d+)", run.text()).group(1))


def restarted_pid(run, name: str, count: int) -> int:
    """The pid of `name`'s `count`-th restart, once serve logged it."""
    found = wait_for(
        lambda: re.findall(rf"{name} restarted: pid (\d+)", serve_log(run))[count - 1 :],
        timeout=60,
        message=lambda: serve_log(run) + run.text(),
    )
    return int(found[0])


def runserver_pid(run) -> int:
    """runserver's autoreloader: the process serve started, child of the script."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"runserver" in cmdline and parent == run.process.pid:
            return int(entry.name)
    raise AssertionError("no runserver started by serve")


def purge_broker(run) -> int:
    """Delete the messages waiting in the filesystem broker's folder (a purged queue)."""
    lost = 0
    for message in (run.state_dir / "broker" / "out").glob("*.msg"):
        message.unlink(missing_ok=True)
        lost += 1
    return lost


def test_beat_worker_and_runserver_come_back_and_a_purged_run_finishes(supervised_serve):
    run = supervised_serve
    run.wait_until_serving()
    http_json(run, "POST", "/register", {"username": "sam", "password": "correct-horse-9"})
    token = login_token(run, "sam", "correct-horse-9")

    # When beat is killed, it comes back
    beat = printed_pid(run, "beat")
    assert "restarted" not in serve_log(run)
    subprocess.run(["kill", "-KILL", str(beat)], check=True)
    new_beat = restarted_pid(run, "beat", 1)
    assert new_beat != beat
    assert re.search(rf"beat \(pid {beat}\) exited with status 137", serve_log(run))

    # When the worker's main process is killed, a run started meanwhile loses its messages
    worker = printed_pid(run, "worker")
    subprocess.run(["kill", "-KILL", str(worker)], check=True)
    status, started = http_json(run, "POST", "/sumArray", list(range(1000)), token=token)
    assert status == 200, started
    assert purge_broker(run) > 0
    assert restarted_pid(run, "worker", 1) != worker

    # When runserver is killed, it serves again
    web = runserver_pid(run)
    subprocess.run(["kill", "-KILL", str(web)], check=True)
    restarted_pid(run, "web", 1)
    wait_for(lambda: _answers(run), timeout=60, message=lambda: serve_log(run))

    # Then the purged run finishes exact, re-driven by the restarted beat's stall watch
    finished = wait_for_run(run, f"/sumArray/{started['arrayId']}", token)
    assert finished["state"] == "done", (finished, serve_log(run), run.celery_log()[-3000:])
    assert finished["result"] == 2 * sum(range(1000))
    assert run.process.poll() is None  # serve itself never stopped


def _answers(run) -> bool:
    try:
        status, _ = http_json(run, "GET", "/health")
    except OSError:
        return False
    return status == 200


def test_a_second_serve_on_a_busy_port_fails_before_printing_credentials(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        environ = serve_environment(tmp_path / "state", port, tmp_path)
        environ["PORT"] = str(port)
        (tmp_path / "state").mkdir()
        result = subprocess.run(
            [str(SERVE_SCRIPT)],
            cwd=PROJECT_ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 1
    assert f"port {port} is in use" in result.stderr
    assert "password" not in result.stdout + result.stderr
    assert not (tmp_path / "state" / "admin-credentials.txt").exists()
