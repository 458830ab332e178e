"""`scripts/serve` stops everything it started, whatever stops it (issue: a Celery worker
that hung in its pool shutdown, or re-executed itself on SIGHUP and ran on, orphaned)."""

import os
import signal

import pytest

from tests.product.serve_process import (
    describe,
    run_processes,
    start_serve,
    wait_for_no_processes,
)

# The README's promise: after a stop, nothing of the run is left within this many seconds.
STOPPED_WITHIN_SECONDS = 15


@pytest.fixture
def serve_run(tmp_path):
    runs = []

    def start(**options):
        run = start_serve(tmp_path / "state", home=tmp_path, **options)
        runs.append(run)
        run.wait_until_serving()
        return run

    yield start
    for run in runs:
        run.stop()


def assert_everything_stopped(run) -> None:
    left = wait_for_no_processes(run.state_dir, STOPPED_WITHIN_SECONDS)
    assert not left, "still running:\n" + "\n".join(describe(left)) + "\n" + run.text()
    assert run.process.poll() is not None


def test_ctrl_c_stops_everything(serve_run):
    # given a run in a terminal, with its worker's pool and runserver's child started
    run = serve_run()
    # (the script, Celery's main process, 2 pool children, beat, runserver and its child)
    assert len(run_processes(run.state_dir)) >= 6

    # when Ctrl-C sends SIGINT to the foreground process group
    run.send_to_group(signal.SIGINT)

    # then no process of the run is left
    assert_everything_stopped(run)


def test_sigterm_to_the_process_group_stops_everything(serve_run):
    run = serve_run()

    run.send_to_group(signal.SIGTERM)

    assert_everything_stopped(run)


def test_sigterm_to_the_script_alone_stops_everything(serve_run):
    run = serve_run()

    os.kill(run.process.pid, signal.SIGTERM)

    assert_everything_stopped(run)


def test_closing_the_terminal_stops_everything(serve_run):
    # given a run whose controlling terminal is a pseudo-terminal
    run = serve_run(with_terminal=True)

    # when the terminal is closed (the kernel hangs up: SIGHUP to the script)
    run.close_terminal()

    # then the worker does not restart itself and run on: nothing is left
    assert_everything_stopped(run)
    assert "Restarting celery worker" not in run.celery_log()
