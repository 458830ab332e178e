"""Benchmark: time to recover (issue #10 "Measure"), default settings. For each broker (Redis,
RabbitMQ, kombu's filesystem transport) and each fault, a sumArray run is started on real
workers, the fault is injected mid-run (a quarter of its packets mapped), and the seconds from
the fault to the run's `done` are printed against the target (300 s) with their ratio.

    .venv/bin/python benchmarks/recovery.py [--scenarios redis-kill,amqp-purge,...]
                                           [--give-up-after 600] [--elements 4000]

Faults:
- `kill`: SIGKILL the worker (main process and pool children, no shutdown, no acknowledgement),
  restarted 1 s later as a process manager would;
- `children`: SIGKILL the worker's pool children only; the main process stays (it starts new
  children), as in issue #10 item 7;
- `purge`: purge the map queue (the messages not yet taken are gone);
- `purge2`: purge, then purge again right after the stall watch's first re-drive (issue #20
  item 4); the figure is from the second purge (the first is in the notes);
- `outage` (Redis, RabbitMQ): the broker is gone for 60 s: workers and beat reach it through a
  loopback TCP proxy (tests/helpers/tcp_proxy.py) that cuts every connection and refuses new
  ones; a worker that exits is restarted 2 s later, as the deploy files' Restart=always does;
  the figure is from the broker's return;
- `pause` (Redis, RabbitMQ): one of two workers SIGSTOPped (whole process group, as a frozen
  VM) for 330 s; the figure is from the pause;
- `beatkill` (filesystem: `scripts/serve` itself): beat SIGKILLed, then the queue purged; serve
  restarts beat, whose stall watch re-drives the run.

Each scenario runs the project's own commands with no timing setting overridden (visibility
timeout, stall thresholds, cleanup and stall-watch intervals are the defaults): Redis and
RabbitMQ in the workers mode (`scripts/worker`, `scripts/beat`), the filesystem transport in
the local mode (`celery -A config.celery worker --concurrency 2` and `celery ... beat`, as
`scripts/serve` runs it; beat apart so its process is not taken for a pool child). Each has a
database of its own (a copy of a migrated template) and queues of its own, so one scenario's
beat never re-drives another's run; the scenarios run at once, so the figures include a busy
machine. Before the fault, the same worker finishes a run of the same size without a fault:
the baseline of the table. A run that is not `done` within --give-up-after seconds of its
fault is reported as not recovered (it never hangs).

Resources: PostgreSQL (BENCH_DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432;
databases sh_recovery_bench_*, dropped at the end), Redis (BENCH_REDIS_URL, default
TEST_REDIS_URL or redis://127.0.0.1:6379/13), RabbitMQ (BENCH_AMQP_URL, default TEST_AMQP_URL
or amqp://guest:guest@127.0.0.1:5672/%2F).
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/helpers/tcp_proxy.py
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get(
    "BENCH_REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
)
AMQP_URL = os.environ.get(
    "BENCH_AMQP_URL", os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
)
TARGET_SECONDS = 300
TEMPLATE = f"sh_recovery_bench_template_{os.getpid()}"
BROKERS = {"redis": "Redis", "amqp": "RabbitMQ", "filesystem": "filesystem"}
FAULTS = ("kill", "children", "purge", "purge2", "outage", "pause", "beatkill")
# Faults that only make sense on some brokers.
FAULT_BROKERS = {
    "outage": ("redis", "amqp"),
    "pause": ("redis", "amqp"),
    "beatkill": ("filesystem",),
}
OUTAGE_SECONDS = 60
PAUSE_SECONDS = 330
PACKET_SIZE = 10
FAULT_AT_FRACTION = 0.25
# Every process group this run started: stopped on SIGTERM/SIGINT too, so an interrupted
# benchmark leaves no worker behind (the scenarios' own `finally` runs in their threads).
STARTED_GROUPS: set[int] = set()
CREATED_DATABASES: set[str] = set()

START_RUN = r"""
import os
import sys
import django
os.environ["PIPELINE_PACKET_SIZE"] = sys.argv[2]
django.setup()
from django.contrib.auth import get_user_model
from pipelines.services.runs import run_start
owner, _ = get_user_model().objects.get_or_create(username="bench")
started = run_start(owner=owner, pipeline="sumArray", elements=list(range(int(sys.argv[1]))))
assert started.queued, "the broker did not take the run"
print(started.run.id)
"""


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{name}", query=""))


def admin_execute(*statements: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def template_create() -> None:
    """One migrated database; each scenario gets a copy (CREATE DATABASE ... TEMPLATE is
    seconds, a migrate per scenario would be minutes on a busy machine)."""
    admin_execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"', f'CREATE DATABASE "{TEMPLATE}"')
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        check=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.django.test",
            "DATABASE_URL": database_url(TEMPLATE),
        },
    )


@dataclass
class Scenario:
    broker: str
    fault: str
    elements: int
    give_up_after: float
    name: str = ""
    state_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="recovery-")))
    worker: subprocess.Popen | None = None
    beat: subprocess.Popen | None = None
    workers_started: int = 0
    baseline: float | None = None
    recovered: float | None = None
    outcome: str = "not run"
    notes: list = field(default_factory=list)
    workers: list = field(default_factory=list)
    proxy: object = None
    serve: subprocess.Popen | None = None
    stopping: bool = False

    def __post_init__(self):
        self.name = f"{self.broker}-{self.fault}"
        suffix = uuid.uuid4().hex[:8]
        self.database = f"sh_recovery_bench_{self.broker}_{self.fault}_{suffix}"
        self.queues = {
            step: f"recovery-{self.name}-{step}-{suffix}" for step in ("default", "map", "reduce")
        }

    # --- environment and processes ---

    @property
    def broker_url(self) -> str:
        return {"redis": REDIS_URL, "amqp": AMQP_URL, "filesystem": "filesystem://"}[self.broker]

    @property
    def process_broker_url(self) -> str:
        """What the workers and beat use: through the proxy in the outage scenario."""
        return self.proxy.url_for(self.broker_url) if self.proxy else self.broker_url

    def environment(self) -> dict:
        common = {
            **{
                key: value
                for key, value in os.environ.items()
                if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
            },
            "DATABASE_URL": database_url(self.database),
            "PIPELINE_TRANSPORT": "celery",
            "PIPELINE_CELERY_MAP_QUEUE": self.queues["map"],
            "PIPELINE_CELERY_REDUCE_QUEUE": self.queues["reduce"],
            "LOG_LEVEL": "INFO",
        }
        if self.broker == "filesystem":  # the local mode, as scripts/serve runs it
            return {
                **common,
                "DJANGO_SETTINGS_MODULE": "config.django.local",
                "LOCAL_STATE_DIR": str(self.state_dir),
            }
        return {
            **common,
            "DJANGO_SETTINGS_MODULE": "config.django.workers",
            "CELERY_BROKER_URL": self.process_broker_url,
            "STATE_DIR": str(self.state_dir),
            "CELERY_TASK_DEFAULT_QUEUE": self.queues["default"],
            "SECRET_KEY": secrets.token_urlsafe(50),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
        }

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.state_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        STARTED_GROUPS.add(process.pid)
        return process

    def worker_start(self) -> None:
        self.workers_started += 1
        name = f"worker{self.workers_started}"
        if self.broker == "filesystem":
            queues = ",".join(["celery", self.queues["map"], self.queues["reduce"]])
            self.worker = self.spawn(
                name,
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "config.celery",
                    "worker",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                    "--queues",
                    queues,
                ],
            )
        else:
            self.worker = self.spawn(name, [str(ROOT / "scripts" / "worker"), "--concurrency", "2"])
        self.workers.append(self.worker)
        log = self.state_dir / f"{name}.log"
        self.wait(lambda: " ready." in log.read_text(errors="replace"), 180, f"{name} ready")

    def restart_always(self) -> None:
        """The deploy files' Restart=always (RestartSec=2) for the worker and beat."""
        while not self.stopping:
            time.sleep(0.5)
            if self.worker and self.worker.poll() is not None and not self.stopping:
                self.notes.append(f"worker exited {self.worker.returncode}, restarted")
                time.sleep(2)
                self.worker_start()
            if self.beat and self.beat.poll() is not None and not self.stopping:
                self.notes.append(f"beat exited {self.beat.returncode}, restarted")
                time.sleep(2)
                self.beat_start()

    def serve_start(self) -> None:
        """scripts/serve, as a person runs it, on a port of its own."""
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        environment = {
            key: value
            for key, value in self.environment().items()
            if not key.startswith("PIPELINE_CELERY_")  # serve's worker reads its default queue
        }
        log = (self.state_dir / "serve.log").open("ab")
        self.serve = subprocess.Popen(
            [str(ROOT / "scripts" / "serve")],
            cwd=ROOT,
            env={**environment, "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        STARTED_GROUPS.add(self.serve.pid)
        celery_log = self.state_dir / "log" / "celery.log"
        self.wait(
            lambda: celery_log.exists() and " ready." in celery_log.read_text(errors="replace"),
            300,
            "serve's worker ready",
        )

    def beat_start(self) -> None:
        if self.broker == "filesystem":
            self.beat = self.spawn(
                "beat",
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "config.celery",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(self.state_dir / "celerybeat-schedule"),
                ],
            )
        else:
            self.beat = self.spawn("beat", [str(ROOT / "scripts" / "beat")])

    def stop(self) -> None:
        self.stopping = True
        if self.serve and self.serve.poll() is None:
            self.serve.terminate()  # serve stops what it started
            try:
                self.serve.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.serve.pid, signal.SIGKILL)
        if self.proxy:
            self.proxy.close()
        for process in (*self.workers, self.beat):
            if process and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGCONT)
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=30)

    # --- runs and faults ---

    def run_start(self) -> str:
        environment = self.environment()
        if self.serve:
            environment = {
                k: v for k, v in environment.items() if not k.startswith("PIPELINE_CELERY_")
            }
        result = subprocess.run(
            [PYTHON, "-c", START_RUN, str(self.elements), str(PACKET_SIZE)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise RuntimeError(f"{self.name}: the run did not start:\n{result.stderr}")
        return result.stdout.strip().splitlines()[-1]

    def query(self, sql: str, *args):
        import psycopg

        with psycopg.connect(database_url(self.database), autocommit=True) as connection:
            return connection.execute(sql, args).fetchone()

    def state_of(self, run_id: str) -> str:
        return self.query("SELECT state FROM pipelines_pipelinerun WHERE id = %s", run_id)[0]

    def mapped_of(self, run_id: str) -> int:
        return self.query(
            "SELECT count(*) FROM pipelines_scratchpadentry WHERE run_id = %s", run_id
        )[0]

    def fault_inject(self, run_id: str) -> float:
        """Inject the fault; returns the moment the figure is measured from."""
        if self.fault == "kill":
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)
            time.sleep(1)  # a process manager's restart delay
            self.worker_start()
        elif self.fault == "children":
            children = pool_children(self.worker.pid)
            if not children:
                raise RuntimeError(f"{self.name}: the worker has no pool children")
            for pid in children:
                os.kill(pid, signal.SIGKILL)
        elif self.fault == "outage":
            self.proxy.drop()
            time.sleep(OUTAGE_SECONDS)
            self.proxy.restore()
            return time.monotonic()  # measured from the broker's return
        elif self.fault == "pause":
            paused = self.workers[0]
            os.killpg(paused.pid, signal.SIGSTOP)
            threading.Timer(PAUSE_SECONDS, self.wake, args=(paused,)).start()
        elif self.fault == "beatkill":
            beat = int(
                re.search(
                    r"Celery beat: pid (\d+)", (self.state_dir / "serve.log").read_text()
                ).group(1)
            )
            os.kill(beat, signal.SIGKILL)
            self.queue_purge("celery")
        elif self.fault == "purge2":
            first = time.monotonic()
            self.queue_purge(self.queues["map"])
            self.wait(
                lambda: self.query(
                    "SELECT redrive_count > 0 OR state <> 'pending' FROM pipelines_pipelinerun "
                    "WHERE id = %s",
                    run_id,
                )[0],
                1200,
                "the first re-drive",
                interval=0.2,
            )
            if self.state_of(run_id) != "pending":
                raise RuntimeError("the first purge found nothing to lose: the run finished")
            self.notes.append(
                f"first re-drive {time.monotonic() - first:.0f} s after the first purge"
            )
            self.first_fault_at = first
            self.queue_purge(self.queues["map"])
        else:
            self.queue_purge(self.queues["map"])
        return time.monotonic()

    def wake(self, process) -> None:
        try:
            os.killpg(process.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass

    def queue_purge(self, queue: str) -> None:
        from kombu import Connection

        with Connection(self.broker_url, transport_options=self.filesystem_options()) as connection:
            connection.default_channel.queue_purge(queue)

    def filesystem_options(self) -> dict:
        if self.broker != "filesystem":
            return {}
        folder = str(self.state_dir / "broker" / "out")
        return {"data_folder_in": folder, "data_folder_out": folder}

    def wait(self, condition, timeout: float, what: str, interval: float = 0.2) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(interval)
        raise TimeoutError(f"{self.name}: timed out waiting for {what}")

    def database_create(self) -> None:
        admin_execute(f'CREATE DATABASE "{self.database}" TEMPLATE "{TEMPLATE}"')
        CREATED_DATABASES.add(self.database)

    def measure(self) -> None:
        try:
            if self.fault == "outage":
                from tests.helpers.tcp_proxy import TcpProxy

                target = urlsplit(self.broker_url)
                self.proxy = TcpProxy(target.hostname or "127.0.0.1", target.port)
            if self.fault == "beatkill":
                self.serve_start()
            else:
                self.worker_start()
                if self.fault == "pause":
                    self.worker_start()
                self.beat_start()
                threading.Thread(target=self.restart_always, daemon=True).start()
            started = time.monotonic()
            clean = self.run_start()
            self.wait(lambda: self.state_of(clean) != "pending", 600, "the baseline run")
            self.baseline = time.monotonic() - started

            run_id = self.run_start()
            packets = -(-self.elements // PACKET_SIZE)
            self.wait(
                lambda: self.mapped_of(run_id) >= packets * FAULT_AT_FRACTION,
                600,
                "the run to be under way",
                interval=0.05,
            )
            if self.state_of(run_id) != "pending":
                raise RuntimeError(f"{self.name}: the run finished before the fault")
            fault_at = self.fault_inject(run_id)
            deadline = fault_at + self.give_up_after
            while time.monotonic() < deadline and self.state_of(run_id) == "pending":
                time.sleep(0.5)
            state = self.state_of(run_id)
            if state == "done":
                self.recovered = time.monotonic() - fault_at
                self.outcome = "done"
                if self.fault == "purge2":
                    self.notes.append(
                        f"{time.monotonic() - self.first_fault_at:.0f} s from the first purge"
                    )
            else:
                self.outcome = (
                    f"did not recover within {self.give_up_after:.0f} s"
                    if state == "pending"
                    else f"ended {state}"
                )
        except Exception as exc:  # one scenario's trouble is its row, not the whole table's
            self.outcome = f"error: {exc}{self.worker_death()}"
        finally:
            self.stop()
            self.queues_delete()
            admin_execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            if self.outcome == "done":
                shutil.rmtree(self.state_dir, ignore_errors=True)
            else:  # the workers' and beat's logs say why
                self.outcome += f" (logs: {self.state_dir})"

    def worker_death(self) -> str:
        """Why the worker stopped consuming, when it says so (its CRITICAL log line)."""
        for log in sorted(self.state_dir.glob("worker*.log")):
            for line in log.read_text(errors="replace").splitlines():
                if "CRITICAL" in line:
                    return f"; the worker stopped: {line.split('] ', 1)[-1][:160]}"
        if self.worker and self.worker.poll() is not None:
            return f"; the worker exited ({self.worker.returncode})"
        return ""

    def queues_delete(self) -> None:
        if self.broker == "filesystem":
            return  # its folder goes with the state directory
        from kombu import Connection

        try:
            with Connection(self.broker_url) as connection:
                for queue in self.queues.values():
                    connection.default_channel.queue_delete(queue)
        except Exception as exc:
            print(f"{self.name}: could not delete its queues: {exc}", file=sys.stderr)


def pool_children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def stop_everything_and_exit(signum, _frame) -> None:
    for group in STARTED_GROUPS:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for database in (*CREATED_DATABASES, TEMPLATE):
        admin_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"benchmarks/recovery.py: stopped by signal {signum}", file=sys.stderr)
    os._exit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, stop_everything_and_exit)
    signal.signal(signal.SIGINT, stop_everything_and_exit)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        default=",".join(
            f"{broker}-{fault}"
            for broker in BROKERS
            for fault in FAULTS
            if broker in FAULT_BROKERS.get(fault, BROKERS)
        ),
    )
    parser.add_argument("--elements", type=int, default=4000)
    parser.add_argument("--give-up-after", type=float, default=2 * TARGET_SECONDS)
    options = parser.parse_args()
    scenarios = []
    for name in options.scenarios.split(","):
        broker, fault = name.split("-")
        if (
            broker not in BROKERS
            or fault not in FAULTS
            or broker not in FAULT_BROKERS.get(fault, BROKERS)
        ):
            parser.error(f"unknown scenario {name}: <{'|'.join(BROKERS)}>-<{'|'.join(FAULTS)}>")
        scenarios.append(
            Scenario(
                broker=broker,
                fault=fault,
                elements=options.elements,
                give_up_after=options.give_up_after,
            )
        )

    template_create()
    started = time.monotonic()
    try:
        for scenario in scenarios:  # one at a time: a template takes one copy at once
            scenario.database_create()
        threads = [threading.Thread(target=scenario.measure) for scenario in scenarios]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        admin_execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')

    print(
        f"\nTime to recover, default settings: {options.elements} elements in packets of "
        f"{PACKET_SIZE}, fault once {FAULT_AT_FRACTION:.0%} were mapped; {len(scenarios)} "
        f"scenarios at once ({time.monotonic() - started:.0f} s in all)\n"
    )
    print(
        "| broker | fault | run without fault (s) | fault → done (s) | target (s) | ratio | notes |"
    )
    print("|---|---|---|---|---|---|---|")
    missed = 0
    for scenario in scenarios:
        baseline = f"{scenario.baseline:.1f}" if scenario.baseline is not None else "—"
        if scenario.recovered is not None:
            recovered = f"{scenario.recovered:.1f}"
            ratio = f"{scenario.recovered / TARGET_SECONDS:.2f}x"
            missed += scenario.recovered > TARGET_SECONDS
        else:
            recovered, ratio = scenario.outcome, "—"
            missed += 1
        print(
            f"| {BROKERS[scenario.broker]} | {scenario.fault} | {baseline} | {recovered} | "
            f"{TARGET_SECONDS} | {ratio} | {'; '.join(scenario.notes)} |"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
