"""Zappa's callbacks for this project (zappa_settings.json `callbacks`), so that plain
`zappa deploy|update|... <stage>` deploys the stage the right way (README "Stages and deploy"):

- `infra.hooks.settings`, after Zappa loads the settings and before any command works: reads
  the stage's stack outputs (role with `manage_roles: false`, VPC, bucket, environment, queue
  ARNs, layer ARN) into the command, refuses a missing or outdated stack, collects static
  files, keeps development tools out of the package, keeps mappings from consuming early;
- `infra.hooks.zip`, once Zappa built the package: checks it, skips an unchanged update;
- `infra.hooks.post`, after deploy/update: configures and enables the SQS mappings, checks
  one consumer per queue, migrates and calls /health.

Zappa loads this file by path as a top-level module (zappa/cli.py `callback`), with the
project not on sys.path: put it there, then import the hooks by their full names.
"""

import sys
from pathlib import Path

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)


def settings(cli) -> None:
    from infra.hooks.on_settings import settings_apply

    settings_apply(cli)


def zip(cli) -> None:
    from infra.hooks.on_zip import package_check

    package_check(cli)


def post(cli) -> None:
    from infra.hooks.on_post import stage_finish

    stage_finish(cli)
