"""One deploy of `dev` against the suite's moto server, shared by every test that reads it
(session-scoped: tests that change the stage restore it or change only its code).

The stage is deployed the way the README says, in a copy of the project in a temporary
directory (the checkout stays as it was) with the development virtualenv active, as a
developer's shell would have it: `scripts/deploy dev --infra-only`, then plain
`zappa deploy dev_workers`, `zappa deploy dev_browser`, `zappa deploy dev`.
"""

import os
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from benchmarks.project_copy import project_copy_to
from tests.helpers import PROJECT_ROOT

CHROMIUM_LAYER = "serverless-handbook-chromium"
CHROMIUM_LAYER_BUILD = "chromium-layer-153.0.0.zip"
WEB, WORKERS, BROWSER = (
    "serverless-handbook-dev",
    "serverless-handbook-dev-workers",
    "serverless-handbook-dev-browser",
)
FUNCTIONS = {"dev": WEB, "dev_workers": WORKERS, "dev_browser": BROWSER}


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("deploy") / "project"
    project_copy_to(copy)
    (copy / ".venv").symlink_to((PROJECT_ROOT / ".venv").resolve())
    # Given the browser's Chromium layer built (scripts/chromium-lambda layer), not published
    (copy / "dist").mkdir()
    with zipfile.ZipFile(copy / "dist" / CHROMIUM_LAYER_BUILD, "w") as zipped:
        zipped.writestr("chromium/README", "stand-in for the Chromium build")
    return copy


@pytest.fixture(scope="session")
def shell(aws, project):
    """`shell("zappa", "update", "dev")` in the project copy, the development venv active."""
    venv = project / ".venv"
    environment = {
        **os.environ,
        **aws.environment(),
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "TMPDIR": str(project.parent / "tmp"),
    }
    (project.parent / "tmp").mkdir(exist_ok=True)
    timings: list[tuple[str, float]] = []

    def run(*command: str) -> subprocess.CompletedProcess:
        started = time.perf_counter()
        process = subprocess.run(
            list(command),
            cwd=project,
            env=environment,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=1800,
        )
        timings.append((" ".join(command), time.perf_counter() - started))
        return process

    run.timings = timings
    yield run
    print("\nrehearsal: " + ", ".join(f"{what}: {seconds:.0f} s" for what, seconds in timings))


def succeeded(process: subprocess.CompletedProcess) -> bool:
    return process.returncode == 0


def output(process: subprocess.CompletedProcess) -> str:
    return process.stdout[-6000:] + process.stderr[-3000:]


@pytest.fixture(scope="session")
def deployed(aws, shell):
    aws.reset()
    steps = [
        ("scripts/deploy", "dev", "--infra-only"),
        ("zappa", "deploy", "dev_workers"),
        ("zappa", "deploy", "dev_browser"),
        ("zappa", "deploy", "dev"),
    ]
    processes = {}
    for command in steps:
        process = shell(*command)
        assert succeeded(process), " ".join(command) + "\n" + output(process)
        processes[command[-1] if command[0] == "zappa" else "infra"] = process
    return processes


def stack_outputs(aws, stage: str = "dev") -> dict[str, str]:
    stack = aws.client("cloudformation").describe_stacks(
        StackName=f"serverless-handbook-infra-{stage}"
    )["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


def deployed_package(function: str) -> bytes:
    """The zip the function runs, as the emulator (in this process) stores it."""
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends["123456789012"]["us-east-1"]
    return backend.get_function(function).code_bytes


def baked_settings(function: str) -> dict:
    from infra.rollback import baked_settings as read

    return read(deployed_package(function))
