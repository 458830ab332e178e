"""Seconds per deploy step, for a first deploy, a code-only update and a no-op update of `dev`,
and each function's package size, rehearsed against moto's server in a copy of the project
with this virtualenv active (as tests/infra do). Target: a code-only `zappa update dev` in
≤ 60 s end to end; the book's figures are 30 s for a side project, about 2 min for a
production-sized backend.

    .venv/bin/python benchmarks/deploy_steps.py

Ratios are against the first deploy of the same run (the machine may be loaded: say so).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.project_copy import project_copy_to  # noqa: E402

STEP_LINE = re.compile(r"^    (?P<step>[^.].*?): (?P<seconds>\d+\.\d) s$", re.M)
FUNCTIONS = ("dev_workers", "dev_browser", "dev")


def project_copy(directory: Path) -> Path:
    copy = directory / "project"
    project_copy_to(copy)
    (copy / ".venv").symlink_to(Path(sys.prefix).resolve())
    (copy / "dist").mkdir()
    with zipfile.ZipFile(copy / "dist" / "chromium-layer-153.0.0.zip", "w") as zipped:
        zipped.writestr("chromium/README", "stand-in for the Chromium build")
    return copy


def main() -> None:
    import logging

    from benchmarks.aws_emulator import start_moto_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's request lines

    server, emulator = start_moto_server()
    os.environ.update(emulator.environment())  # this process reads the sizes from it too
    directory = Path(tempfile.mkdtemp(prefix="deploy-steps-"))
    project = project_copy(directory)
    environment = {
        **os.environ,
        **emulator.environment(),
        "VIRTUAL_ENV": sys.prefix,
        "PATH": f"{Path(sys.prefix) / 'bin'}:{os.environ['PATH']}",
    }
    runs: list[tuple[str, float, list[tuple[str, float]]]] = []

    def run(label: str, *command: str) -> None:
        started = time.perf_counter()
        process = subprocess.run(
            command, cwd=project, env=environment, capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            sys.exit(f"{label} failed:\n{process.stdout[-3000:]}\n{process.stderr[-3000:]}")
        steps = [(m["step"], float(m["seconds"])) for m in STEP_LINE.finditer(process.stdout)]
        runs.append((label, seconds, steps))
        print(f"{label}: {seconds:.1f} s", flush=True)
        for step, step_seconds in steps:
            print(f"    {step}: {step_seconds:.1f} s", flush=True)

    try:
        run("stack (scripts/deploy dev --infra-only)", "scripts/deploy", "dev", "--infra-only")
        for name in FUNCTIONS:
            run(f"first deploy: zappa deploy {name}", "zappa", "deploy", name)
        view = project / "hello" / "views.py"
        view.write_text(view.read_text() + "\n# a code-only change\n")
        run("code-only update: zappa update dev", "zappa", "update", "dev")
        run("no-op update: zappa update dev", "zappa", "update", "dev")
        lambda_client = emulator.client("lambda")
        print("package size per function (zipped CodeSize, layers apart):")
        for name in FUNCTIONS:
            function = f"serverless-handbook-{name.replace('_', '-')}"
            size = lambda_client.get_function_configuration(FunctionName=function)["CodeSize"]
            print(f"    {function}: {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB)")
        first = sum(seconds for label, seconds, _ in runs if label.startswith("first deploy"))
        print(f"first deploy of the three functions: {first:.1f} s")
        for label, seconds, _ in runs[-2:]:
            print(
                f"{label}: {seconds:.1f} s = {seconds / first:.2f} x the first deploy; "
                f"target ≤ 60 s: {'met' if seconds <= 60 else 'missed'}"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
