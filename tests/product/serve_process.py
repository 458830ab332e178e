"""`scripts/serve` run exactly as the README says, in a subprocess, with its own state
directory and port, and the processes it left behind found through /proc.

Every process of a run inherits LOCAL_STATE_DIR=<the run's directory> in its environment
(the script exports it; Celery's pool, beat and runserver's reloaded child keep it), so
/proc/<pid>/environ names the run's processes whatever session or group they moved to.
"""

import fcntl
import os
import re
import select
import signal
import subprocess
import termios
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.aws_emulator import free_loopback_port
from tests.helpers import PROJECT_ROOT

SERVE_SCRIPT = PROJECT_ROOT / "scripts" / "serve"
START_TIMEOUT_SECONDS = 120


def run_processes(state_dir: Path) -> list[int]:
    """Pids (not zombies) whose environment carries this run's LOCAL_STATE_DIR."""
    marker = f"LOCAL_STATE_DIR={state_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z" and marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_for_no_processes(state_dir: Path, timeout: float) -> list[int]:
    """Wait until the run has no process left; returns those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    while (alive := run_processes(state_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def describe(pids: list[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            cmdline = "?"
        lines.append(f"{pid}: {cmdline}")
    return lines


@dataclass
class ServeRun:
    """One `scripts/serve` process; `output` collects what it printed."""

    state_dir: Path
    port: int
    process: subprocess.Popen
    terminal_fd: int | None = None
    output: list[str] = field(default_factory=list)
    stop_reading: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return "".join(self.output)

    def admin_credentials(self) -> tuple[str, str]:
        """The username and password the script printed."""
        username = re.search(r"username: (\S+)", self.text()).group(1)
        password = re.search(r"password: (\S+)", self.text()).group(1)
        return username, password

    def celery_log(self) -> str:
        path = self.state_dir / "log" / "celery.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"scripts/serve exited {self.process.returncode}:\n{self.text()}"
                )
            if "password:" in self.text() and "ready" in self.celery_log():
                try:
                    with urllib.request.urlopen(f"{self.base_url}/health", timeout=5) as reply:
                        if reply.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            time.sleep(0.3)
        raise AssertionError(
            f"scripts/serve did not serve within {START_TIMEOUT_SECONDS} s:\n"
            f"{self.text()}\n--- celery.log ---\n{self.celery_log()}"
        )

    def send_to_group(self, signum: int) -> None:
        """As a terminal does: the signal goes to the job's whole process group."""
        os.killpg(self.process.pid, signum)

    def close_terminal(self) -> None:
        """Hang up the run's controlling terminal, as closing a terminal window does."""
        assert self.terminal_fd is not None, "started without a terminal"
        self._release_terminal()

    def _release_terminal(self) -> None:
        # The hang-up happens when the last reference goes: the reader must let go first.
        self.stop_reading.set()
        if self.reader is not None:
            self.reader.join(timeout=5)
        os.close(self.terminal_fd)
        self.terminal_fd = None

    def stop(self) -> None:
        """The test's own clean-up: whatever the test did, leave nothing running."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for pid in run_processes(self.state_dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.terminal_fd is not None:
            self._release_terminal()


def serve_environment(state_dir: Path, port: int, home: Path, **extra: str) -> dict[str, str]:
    """What a person's shell would pass: no test-suite variables (DATABASE_URL, settings
    module, broker URL) leak into the run."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LOCAL_STATE_DIR": str(state_dir),
        "PORT": str(port),
        **extra,
    }


def _collect(stream, output: list[str]) -> None:
    for line in iter(stream.readline, ""):
        output.append(line)


def _collect_terminal(fd: int, output: list[str], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            readable, _, _ = select.select([fd], [], [], 0.2)
            if not readable:
                continue
            chunk = os.read(fd, 4096)
        except OSError:  # the script is gone and the terminal with it
            return
        if not chunk:
            return
        output.append(chunk.decode(errors="replace"))


def start_serve(
    state_dir: Path, *, home: Path, with_terminal: bool = False, **extra_env: str
) -> ServeRun:
    """Start `scripts/serve` as a job of its own (its own process group, as a shell runs it),
    optionally on a pseudo-terminal that is its controlling terminal."""
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_loopback_port()
    environ = serve_environment(state_dir, port, home, **extra_env)
    if not with_terminal:
        process = subprocess.Popen(
            [str(SERVE_SCRIPT)],
            cwd=PROJECT_ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        run = ServeRun(state_dir, port, process)
        threading.Thread(target=_collect, args=(process.stdout, run.output), daemon=True).start()
        return run

    controller, terminal = os.openpty()

    def take_terminal():  # runs in the child after setsid(): the pty becomes its terminal
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [str(SERVE_SCRIPT)],
        cwd=PROJECT_ROOT,
        env=environ,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        preexec_fn=take_terminal,
    )
    os.close(terminal)
    run = ServeRun(state_dir, port, process, terminal_fd=controller)
    run.reader = threading.Thread(
        target=_collect_terminal, args=(controller, run.output, run.stop_reading), daemon=True
    )
    run.reader.start()
    return run
