"""Running Zappa itself from `scripts/deploy`: the `zappa` of the active virtualenv, its
output streamed as it comes (Zappa's lines and our callbacks' steps), in the project."""

import json
import os
import subprocess
import sys
from pathlib import Path

from infra.feedback import DeployError, say
from infra.runtime_packages import PROJECT_ROOT
from infra.stages import zappa_stage_name

GENERATED_DIR = Path("var")


def zappa_run(*args: str) -> None:
    zappa = Path(sys.executable).parent / "zappa"
    # Zappa packages the virtualenv VIRTUAL_ENV names (and refuses to run without one).
    environment = {**os.environ, "VIRTUAL_ENV": os.environ.get("VIRTUAL_ENV", sys.prefix)}
    say(f"$ zappa {' '.join(args)}")
    process = subprocess.run([str(zappa), *args], cwd=PROJECT_ROOT, env=environment)  # noqa: S603
    if process.returncode != 0:
        raise DeployError(f"`zappa {' '.join(args)}` failed (exit {process.returncode}), see above")


def settings_file_args(settings: dict, *, committed: dict, stage: str) -> list[str]:
    """[] for a committed stage; for a preview, `-s` and the settings file it is written to
    (untracked): Zappa refuses a stage that is not in its settings file."""
    if zappa_stage_name(stage) in committed:
        return []
    path = GENERATED_DIR / f"zappa_settings.{stage}.json"
    (PROJECT_ROOT / path).parent.mkdir(parents=True, exist_ok=True)
    (PROJECT_ROOT / path).write_text(json.dumps(settings, indent=2) + "\n")
    return ["-s", str(path)]


def function_exists(name: str) -> bool:
    from botocore.exceptions import ClientError

    from infra.stack import aws_client

    try:
        aws_client("lambda").get_function(FunctionName=name)
        return True
    except ClientError:
        return False
